"""Appointments: the plan's visits in the rolling horizon, booking by hand, moving, cancelling,
completing. Every change goes through the appointment state machine (`domain.lifecycle`)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import structlog
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from servicekit.clock import berlin_date
from servicekit.db import UnitOfWork

from support import config, repository
from support.domain import events, lifecycle
from support.domain.crisis import CrisisState
from support.domain.errors import RuleViolation, SlotTaken
from support.domain.lifecycle import AppointmentAction, AppointmentState, CaseState
from support.domain.model import Caseworker as DomainCaseworker
from support.domain.model import Interval, Role
from support.domain.scheduler import place_visits, require_slot
from support.models import Appointment, Caseworker, Crisis, SupportCase
from support.usecases import crises

log = structlog.get_logger("support")

SCHEDULED = AppointmentState.SCHEDULED.value


def _new(case: SupportCase, caseworker_id: str, kind: str, slot: Interval, now: datetime, *,
         plan_key: str | None = None, crisis_id: str | None = None) -> Appointment:
    return Appointment(
        id=str(uuid.uuid4()), case_id=case.id, caseworker_id=caseworker_id, kind=kind,
        starts_at=slot.start, ends_at=slot.end, status=SCHEDULED, plan_key=plan_key, crisis_id=crisis_id,
        sequence=0, created_at=now, updated_at=now,
    )


def _announce_scheduled(uow: UnitOfWork, appointment: Appointment, case: SupportCase) -> None:
    uow.audit("appointment", appointment.id, "scheduled", to_state=SCHEDULED,
              detail={"case_id": case.id, "kind": appointment.kind, "plan_key": appointment.plan_key})
    uow.publish_events(events.appointment_scheduled(appointment, case))


def add_appointment(uow: UnitOfWork, case: SupportCase, caseworker_id: str, kind: str, slot: Interval, *,
                    plan_key: str | None = None, crisis_id: str | None = None) -> Appointment:
    """Insert one appointment inside a savepoint: if the database refuses it (overlap caught by
    the exclusion constraint/trigger), nothing else in the transaction is lost."""
    appointment = _new(case, caseworker_id, kind, slot, uow.now(), plan_key=plan_key, crisis_id=crisis_id)
    try:
        with uow.session.begin_nested():
            uow.session.add(appointment)
    except IntegrityError as exc:
        raise SlotTaken() from exc
    _announce_scheduled(uow, appointment, case)
    return appointment


def book_horizon(uow: UnitOfWork, case: SupportCase, *, first_visit_only: bool = False,
                 locked: dict[str, repository.Person] | None = None) -> list[Appointment]:
    """Book the plan's visits that fall in the rolling horizon and are not booked yet.

    `first_visit_only` (a case just opened, nothing booked yet): only the earliest due visit.
    Booking the whole horizon inside the event's transaction cost ~9 visits with their audit
    entries and events per case and made support the slowest step after a lease; the rest is
    booked seconds later by `planning.book_new_cases`, which marks the case `horizon_booked_until`.
    `locked`: caseworkers this transaction has already locked (`repository.lock_people`)."""
    if case.status != CaseState.OPEN.value or case.support_start is None:
        return []
    due = _due_visits(uow, case, first_visit_only=first_visit_only)
    booked: list[Appointment] = []
    for role in (Role.SOCIAL_WORKER, Role.CONTACT_PERSON):
        visits = [v for v in due if v.role is role]
        caseworker_id = case.social_worker_id if role is Role.SOCIAL_WORKER else case.contact_person_id
        if visits and caseworker_id is not None:
            person = (locked or {}).get(caseworker_id) or repository.lock_people(uow.session, [caseworker_id])[caseworker_id]
            booked += _book_visits(uow, case, person.domain, visits)
    return booked


def _due_visits(uow: UnitOfWork, case: SupportCase, *, first_visit_only: bool) -> list:
    """The plan's visits due in the horizon that are not booked yet (a case opened in this
    transaction has nothing booked: its earliest visit only)."""
    today = berlin_date(uow.now())
    end = today + timedelta(weeks=config.horizon().weeks)
    due = config.load_plan().due_visits(case.support_start, today, end)
    if first_visit_only:
        return sorted(due, key=lambda v: v.due)[:1]
    known = set(uow.session.scalars(select(Appointment.plan_key).where(Appointment.case_id == case.id,
                                                                        Appointment.plan_key.is_not(None))))
    case.horizon_booked_until = end
    return [v for v in due if v.key not in known]


def _book_visits(uow: UnitOfWork, case: SupportCase, caseworker: DomainCaseworker, visits) -> list[Appointment]:
    """Place one person's due visits in their calendar, loaded once for all of them, and book
    those that found a slot."""
    now = uow.now()
    busy = repository.busy_calendar(uow.session, caseworker.id, berlin_date(now), max(v.window_end for v in visits))
    by_key = {v.key: v for v in visits}
    items = []
    for placement in place_visits(caseworker, busy, visits, config.load_office_hours(),
                                  now=now, notice=config.horizon().planned_notice):
        if placement.slot is None:
            log.info("plan.visit_unplaced", case_id=case.id, visit=placement.key)
        else:
            items.append((by_key[placement.key], placement.slot))
    return _add_planned(uow, case, caseworker.id, items)


# the columns a planned visit is inserted with, in one multi-row statement per booking
_PLANNED_COLUMNS = ("id", "case_id", "caseworker_id", "kind", "starts_at", "ends_at", "status", "plan_key",
                    "crisis_id", "sequence", "created_at", "updated_at")


def _add_planned(uow: UnitOfWork, case: SupportCase, caseworker_id: str, items) -> list[Appointment]:
    """Insert a batch of planned visits in one statement (a bulk insert, not the ORM's unit of
    work: the rows are only announced and counted afterwards); if the database refuses the batch
    (a clash we could not see, e.g. the lock was bypassed), book them one by one and skip only
    the clashing ones — the next planner run retries those."""
    if not items:
        return []
    now = uow.now()
    rows = [_new(case, caseworker_id, visit.kind, slot, now, plan_key=visit.key) for visit, slot in items]
    try:
        with uow.session.begin_nested():
            uow.session.execute(insert(Appointment), [{c: getattr(r, c) for c in _PLANNED_COLUMNS} for r in rows])
    except IntegrityError:
        booked = []
        for visit, slot in items:
            try:
                booked.append(add_appointment(uow, case, caseworker_id, visit.kind, slot, plan_key=visit.key))
            except SlotTaken:
                log.warning("plan.visit_conflict", case_id=case.id, visit=visit.key)
        return booked
    for row in rows:
        _announce_scheduled(uow, row, case)
    return rows


def book_by_hand(uow: UnitOfWork, case: SupportCase, caseworker_id: str | None, kind: str, starts_at: datetime,
                 minutes: int) -> Appointment:
    """Same rules as the planner (working day, office hours, no overlap, not absent, weekly
    hours). A crisis appointment booked by hand answers the case's pending crisis that has none."""
    lifecycle.check_open(CaseState(case.status), "The case is closed; no new appointments.")
    caseworker_id = caseworker_id or case.contact_person_id
    if caseworker_id is None:
        raise RuleViolation("appointment.no_caseworker", "The case has no contact person yet; name a caseworker.",
                            "caseworker_id")
    slot = _checked_slot(uow, caseworker_id, starts_at, minutes)
    crisis = None
    if kind == "crisis":
        crisis = uow.session.scalar(select(Crisis).where(Crisis.case_id == case.id,
                                                         Crisis.status == CrisisState.PENDING.value,
                                                         Crisis.appointment_id.is_(None)))
    appointment = add_appointment(uow, case, caseworker_id, kind, slot, crisis_id=crisis.id if crisis else None)
    if crisis is not None:
        crises.attach_appointment(uow, crisis, appointment)
    return appointment


def _checked_slot(uow: UnitOfWork, caseworker_id: str, starts_at: datetime, minutes: int,
                  *, exclude: str | None = None) -> Interval:
    caseworker = uow.session.get(Caseworker, caseworker_id)
    if caseworker is None:
        raise RuleViolation("appointment.unknown_caseworker", "No caseworker with this id.", "caseworker_id")
    if not caseworker.active:
        raise RuleViolation("appointment.inactive_caseworker", "This caseworker is no longer active.", "caseworker_id")
    caseworker = repository.lock_caseworker(uow.session, caseworker_id)
    starts_at = starts_at.astimezone(timezone.utc)
    slot = Interval(starts_at, starts_at + timedelta(minutes=minutes))
    busy = repository.busy_calendar(uow.session, caseworker_id, berlin_date(slot.start), berlin_date(slot.end),
                                    exclude=exclude)
    require_slot(repository.to_domain(caseworker), slot, busy, config.load_office_hours(), uow.now())
    return slot


def reschedule(uow: UnitOfWork, appointment: Appointment, starts_at: datetime, minutes: int | None) -> Appointment:
    """Move an appointment (same rules as booking); a crisis appointment decides its crisis anew."""
    now = uow.now()
    case = repository.load_case(uow.session, appointment.case_id)
    lifecycle.check_open(CaseState(case.status), "The case is closed; its appointments cannot be moved.")
    state = lifecycle.appointment_transition(AppointmentState(appointment.status), AppointmentAction.RESCHEDULE,
                                             appointment.starts_at, now)
    minutes = minutes or int((appointment.ends_at - appointment.starts_at).total_seconds() // 60)
    slot = _checked_slot(uow, appointment.caseworker_id, starts_at, minutes, exclude=appointment.id)
    previous = appointment.starts_at
    appointment.status = state.value
    appointment.starts_at, appointment.ends_at = slot.start, slot.end
    appointment.sequence += 1
    appointment.updated_at = now
    try:
        with uow.session.begin_nested():
            uow.session.flush()
    except IntegrityError as exc:
        raise SlotTaken() from exc
    uow.audit("appointment", appointment.id, "rescheduled",
              detail={"from": previous.isoformat(), "to": slot.start.isoformat()})
    uow.publish_events(events.appointment_rescheduled(appointment, case))
    if appointment.crisis_id:
        crisis = uow.session.get(Crisis, appointment.crisis_id)
        if crisis is not None:
            crises.attach_appointment(uow, crisis, appointment)
    return appointment


def cancel(uow: UnitOfWork, appointment: Appointment, reason: str) -> None:
    """Cancelled by hand, with a reason: a planned visit keeps its plan key (the planner will
    not book it again)."""
    _cancel(uow, appointment, reason, keep_plan_key=True)


def cancel_by_support(uow: UnitOfWork, appointment: Appointment, reason: str, *, keep_plan_key: bool = True) -> None:
    """Support cancels (the case closed, the caseworker is absent, the case changed hands): the
    same state machine. On an absence or reassignment the plan key is freed, so the visit can be
    booked again around the absence or with the new person."""
    _cancel(uow, appointment, reason, keep_plan_key=keep_plan_key)


def _cancel(uow: UnitOfWork, appointment: Appointment, reason: str, *, keep_plan_key: bool) -> None:
    case = repository.load_case(uow.session, appointment.case_id)
    previous = appointment.status
    state = lifecycle.appointment_transition(AppointmentState(previous), AppointmentAction.CANCEL,
                                             appointment.starts_at, uow.now(), reason)
    appointment.status = state.value
    appointment.cancel_reason = reason
    appointment.updated_at = uow.now()
    appointment.sequence += 1
    if not keep_plan_key:
        appointment.plan_key = None
    uow.session.flush()
    uow.audit("appointment", appointment.id, "cancelled", from_state=previous, to_state=state.value,
              detail={"reason": reason})
    uow.publish_events(events.appointment_cancelled(appointment, case))
    if appointment.crisis_id:
        crises.appointment_cancelled(uow, appointment)


def finish(uow: UnitOfWork, appointment: Appointment, action: AppointmentAction, note: str | None) -> None:
    """Completed (with a short outcome) or missed, once it has started."""
    state = lifecycle.appointment_transition(AppointmentState(appointment.status), action, appointment.starts_at,
                                             uow.now(), note)
    previous = appointment.status
    appointment.status = state.value
    appointment.outcome_note = note
    appointment.updated_at = uow.now()
    uow.session.flush()
    uow.audit("appointment", appointment.id, state.value, from_state=previous, to_state=state.value)
