"""Crises: an incident report or a rent-arrears claim makes the case at risk and needs a crisis
appointment before the SLA deadline; the crisis is met or breached as soon as that is known.
Every change of a crisis goes through its state machine (`domain.crisis`)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select

from servicekit.clock import berlin_date
from servicekit.db import UnitOfWork

from support import config, repository
from support.domain import assignment as assign_rules
from support.domain import crisis as rules
from support.domain import events
from support.domain.assignment import AssignmentPolicy
from support.domain.crisis import CrisisState
from support.domain.errors import SlotTaken
from support.domain.lifecycle import AppointmentState, CaseState
from support.domain.model import Role
from support.domain.scheduler import BusyCalendar
from support.models import Appointment, Crisis, SupportCase
from support.usecases import appointments

PENDING = CrisisState.PENDING.value


def opens_crisis(claim_kind: str) -> bool:
    """Which claims are the household's crisis (config/crisis.json: rent arrears); other losses
    are the housing company's matter."""
    return claim_kind in config.crisis_claim_kinds()


def raise_crisis(uow: UnitOfWork, case: SupportCase, trigger: str, source_id: str, reported_at: datetime) -> Crisis | None:
    """Mark the case at risk and book a crisis appointment before the SLA deadline, with the
    contact person or, when they cannot be seen in time, a substitute. Once per source (an
    incident or claim id); nothing for a closed case."""
    session = uow.session
    if case.status != CaseState.OPEN.value:
        return None
    if session.scalar(select(Crisis.id).where(Crisis.source_id == source_id)):
        return None
    deadline = rules.crisis_deadline(reported_at, config.load_crisis(), config.load_office_hours())
    crisis = Crisis(id=str(uuid.uuid4()), case_id=case.id, trigger=trigger, source_id=source_id,
                    reported_at=reported_at, deadline=deadline, status=PENDING)
    session.add(crisis)
    if not case.at_risk:
        case.at_risk, case.at_risk_since = True, uow.now()
        uow.audit("case", case.id, "at_risk", detail={"trigger": trigger})
    session.flush()
    uow.publish_events(events.case_at_risk(case, crisis))
    if not place_crisis_appointment(uow, case, crisis):
        uow.audit("crisis", crisis.id, "no_slot_before_deadline", detail={"deadline": deadline.isoformat()})
        refresh(uow, crisis)
    return crisis


def place_crisis_appointment(uow: UnitOfWork, case: SupportCase, crisis: Crisis) -> bool:
    """Book the crisis appointment (contact person first, else a substitute); False if nobody
    can be seen before the deadline."""
    if case.contact_person_id is None:
        return False
    session = uow.session
    now = uow.now()
    people = {p.id: p for p in repository.all_caseworkers(session)}
    contact = repository.to_domain(people[case.contact_person_id])
    substitutes = assign_rules.rank_candidates(
        [repository.to_domain(p) for p in people.values()], Role.CONTACT_PERSON, repository.active_loads(session),
        berlin_date(now), district=case.district, policy=AssignmentPolicy(lookahead_days=0), respect_capacity=False,
        exclude=frozenset({contact.id}),
    )
    window_end = berlin_date(crisis.deadline) + timedelta(days=1)

    def busy_for(caseworker_id: str) -> BusyCalendar:
        repository.lock_caseworker(session, caseworker_id)
        return repository.busy_calendar(session, caseworker_id, berlin_date(now), window_end)

    placed = rules.place_crisis(contact, substitutes, busy_for, crisis.reported_at, now, config.load_crisis(),
                                config.load_office_hours())
    if placed is None:
        return False
    try:
        appointment = appointments.add_appointment(uow, case, placed.caseworker_id, "crisis", placed.slot,
                                                   crisis_id=crisis.id)
    except SlotTaken:
        return False
    crisis.substitute = placed.substitute
    attach_appointment(uow, crisis, appointment)
    return True


def attach_appointment(uow: UnitOfWork, crisis: Crisis, appointment: Appointment) -> None:
    """The crisis has this appointment (booked, moved or handed over): decided anew by it."""
    crisis.appointment_id = appointment.id
    crisis.caseworker_id = appointment.caseworker_id
    _reopen(uow, crisis)


def replacement_booked(uow: UnitOfWork, crisis_id: str | None, appointment: Appointment) -> None:
    """A crisis appointment moved to another person (reassignment): the crisis takes the new one."""
    crisis = uow.session.get(Crisis, crisis_id) if crisis_id else None
    if crisis is not None and crisis.appointment_id is None:
        attach_appointment(uow, crisis, appointment)


def appointment_cancelled(uow: UnitOfWork, appointment: Appointment) -> None:
    """The crisis appointment is off: the crisis waits for another (the crisis list shows it,
    the deadline job books a stand-in)."""
    crisis = uow.session.get(Crisis, appointment.crisis_id)
    if crisis is None or crisis.appointment_id != appointment.id:
        return
    if rules.reopen(CrisisState(crisis.status)) is CrisisState.PENDING:
        crisis.appointment_id = None
        crisis.decided_at = None
        _reopen(uow, crisis)


def _reopen(uow: UnitOfWork, crisis: Crisis) -> None:
    state = rules.reopen(CrisisState(crisis.status))
    if state is CrisisState.PENDING:
        crisis.status = state.value
        refresh(uow, crisis)


def refresh(uow: UnitOfWork, crisis: Crisis) -> None:
    """Decide met / breached as soon as it is known (see domain.crisis.sla_state); a breach is
    announced once."""
    if crisis.status != PENDING:
        return
    start = None
    if crisis.appointment_id:
        start = uow.session.scalar(select(Appointment.starts_at).where(
            Appointment.id == crisis.appointment_id, Appointment.status != AppointmentState.CANCELLED.value))
    state = rules.decide(CrisisState(crisis.status), rules.sla_state(crisis.deadline, start, uow.now()))
    if state is CrisisState.PENDING:
        return
    crisis.status = state.value
    crisis.decided_at = uow.now()
    uow.session.flush()
    uow.audit("crisis", crisis.id, state.value, from_state=PENDING, to_state=state.value)
    if state is CrisisState.BREACHED:
        uow.publish_events(events.crisis_breached(repository.load_case(uow.session, crisis.case_id), crisis))


def close_with_case(uow: UnitOfWork, case: SupportCase) -> None:
    """The case closed: its pending crises close with it."""
    for crisis in uow.session.scalars(select(Crisis).where(Crisis.case_id == case.id, Crisis.status == PENDING)):
        crisis.status = rules.close_with_case(CrisisState(crisis.status)).value
        crisis.decided_at = uow.now()


def decide_pending(uow: UnitOfWork, crisis: Crisis) -> bool:
    """The deadline job: a crisis without an appointment gets one if it still can (e.g. its
    appointment fell into a new absence, or the case had no contact person yet), then it is
    decided if it can be. True when it is decided now."""
    if crisis.appointment_id is None and crisis.deadline > uow.now():
        place_crisis_appointment(uow, repository.load_case(uow.session, crisis.case_id), crisis)
    refresh(uow, crisis)
    return crisis.status != PENDING
