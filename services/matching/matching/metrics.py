"""Business metrics of matching. Labels are states and urgency levels only, never people or ids."""

from __future__ import annotations

from prometheus_client import Histogram
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select

from matching.models import Flat, Household, Proposal

RUN_DURATION = Histogram("matching_run_duration_seconds", "Duration of a matching run",
                         buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120))
DAYS_TO_LEASE = Histogram("matching_referral_to_lease_days", "Days from referral to lease start",
                          buckets=(7, 14, 30, 60, 90, 180, 365, 730))


def collect(session):
    waiting = GaugeMetricFamily("matching_households_waiting", "Waiting households by urgency", labels=["urgency"])
    for urgency, n in session.execute(select(Household.urgency, func.count()).where(Household.status == "waiting")
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
