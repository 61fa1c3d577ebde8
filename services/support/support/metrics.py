"""Business gauges, read from the database when Prometheus scrapes the worker.

Labels stay few and never name a person: states and utilisation bands are fixed small sets. Caseload
is shown for the team (open cases against capacity, the highest single utilisation, caseworkers per
band), not per caseworker: a caseworker's id with their case count is a performance figure about a
named employee, which a scrape endpoint must not hand out (issue 23, finding 8)."""

from __future__ import annotations

from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from support.models import Appointment, Caseworker, Crisis, SupportCase
from support.domain.crisis import CrisisState
from support.domain.lifecycle import AppointmentState, CaseState
from support.repository import active_loads

UTILISATION_BANDS = ((0.5, "under_50"), (0.8, "50_to_80"), (1.0, "80_to_100"))


def collect(session: Session):
    yield from _cases(session)
    yield from _caseload(session)
    yield _by_status(session, Appointment.status, AppointmentState, "support_appointments", "Appointments by status")
    yield _by_status(session, Crisis.status, CrisisState, "support_crisis_deadlines",
                     "Crisis response deadlines by outcome")


def _by_status(session: Session, column, states, name: str, documentation: str) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=["status"])
    counts = dict(session.execute(select(column, func.count()).group_by(column)).all())
    for status in (s.value for s in states):
        family.add_metric([status], counts.get(status, 0))
    return family


def _open_cases(session: Session, *where) -> int:
    return session.scalar(select(func.count()).where(SupportCase.status == CaseState.OPEN.value, *where)) or 0


def _cases(session: Session):
    yield _by_status(session, SupportCase.status, CaseState, "support_cases", "Support cases by status")
    yield GaugeMetricFamily("support_cases_at_risk", "Open cases marked at risk (incident or rent arrears)",
                            value=_open_cases(session, SupportCase.at_risk.is_(True)))
    yield GaugeMetricFamily("support_cases_awaiting_assignment", "Open cases without a contact person yet",
                            value=_open_cases(session, SupportCase.contact_person_id.is_(None)))
    inactive = select(Caseworker.id).where(Caseworker.active.is_(False))
    yield GaugeMetricFamily(
        "support_cases_needing_reassignment", "Open cases whose contact person or social worker is no longer active",
        value=_open_cases(session, SupportCase.contact_person_id.in_(inactive) | SupportCase.social_worker_id.in_(inactive)))


def _caseload(session: Session):
    """The team's caseload against capacity: sums, the highest utilisation, people per band."""
    loads = active_loads(session)
    bands = {label: 0 for _, label in UTILISATION_BANDS} | {"full": 0}
    total_load = total_capacity = 0
    highest = 0.0
    for cw_id, max_cases in session.execute(select(Caseworker.id, Caseworker.max_cases).where(Caseworker.active.is_(True))):
        load = loads.get(cw_id, 0)
        total_load += load
        total_capacity += max_cases
        ratio = load / max_cases if max_cases else 1.0
        highest = max(highest, ratio)
        bands[next((label for limit, label in UTILISATION_BANDS if ratio < limit), "full")] += 1
    yield GaugeMetricFamily("support_caseworker_open_cases", "Open cases of active caseworkers (contact person), summed",
                            value=total_load)
    yield GaugeMetricFamily("support_caseworker_capacity", "Case capacity of active caseworkers, summed",
                            value=total_capacity)
    yield GaugeMetricFamily("support_caseworker_max_utilisation",
                            "Highest caseload over capacity of any active caseworker (who it is: the staff API)",
                            value=highest)
    by_band = GaugeMetricFamily("support_caseworkers_by_utilisation", "Active caseworkers by caseload against capacity",
                                labels=["band"])
    for band, n in bands.items():
        by_band.add_metric([band], n)
    yield by_band
