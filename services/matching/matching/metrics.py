"""Business metrics of matching. Labels are states and urgency levels only, never people or ids."""

from __future__ import annotations

from prometheus_client import Histogram
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select

from servicekit.clock import SystemClock, berlin_date

from matching.domain.household import HouseholdState
from matching.domain.lifecycle import values
from matching.domain.proposal import OPEN
from matching.models import Flat, Household, Proposal

RUN_DURATION = Histogram("matching_run_duration_seconds", "Duration of a matching run",
                         buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120))
DAY = 86_400
# Prometheus wants base units: seconds, bucketed at 1 week … 2 years.
REFERRAL_TO_LEASE = Histogram("matching_referral_to_lease_seconds", "Time from referral to lease start",
                              buckets=tuple(days * DAY for days in (7, 14, 30, 60, 90, 180, 365, 730)))


def collect(session):
    waiting = GaugeMetricFamily("matching_households_waiting", "Waiting households by urgency", labels=["urgency"])
    for urgency, n in session.execute(select(Household.urgency, func.count()).where(Household.status == HouseholdState.WAITING.value)
                                      .group_by(Household.urgency)):
        waiting.add_metric([urgency], n)
    yield waiting
    flats = GaugeMetricFamily("matching_flats", "Flats by state", labels=["state"])
    for state, n in session.execute(select(Flat.status, func.count()).group_by(Flat.status)):
        flats.add_metric([state], n)
    yield flats
    proposals = GaugeMetricFamily("matching_proposals", "Proposals by state", labels=["state"])
    for state, n in session.execute(select(Proposal.status, func.count()).group_by(Proposal.status)):
        proposals.add_metric([state], n)
    yield proposals
    # Open proposals whose deadline day is over but that the expiry job has not closed: should stay 0.
    today = berlin_date(SystemClock().now())
    overdue = session.scalar(select(func.count()).select_from(Proposal)
                             .where(Proposal.status.in_(values(OPEN)), Proposal.respond_by < today))
    yield GaugeMetricFamily("matching_proposals_overdue", "Open proposals past their response deadline",
                            value=overdue)
