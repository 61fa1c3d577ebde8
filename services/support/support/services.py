"""Service layer: use cases over the database, each inside the caller's unit of work.

Views and event handlers call these; the rules themselves live in `support.domain`. Every state
change here writes its event to the outbox and its audit entry in the same transaction.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

import structlog
from sqlalchemy import func, select, union
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from servicekit.db import UnitOfWork
from servicekit.db.memo import per_transaction
from servicekit.errors import Conflict, NotFound, Unprocessable
from servicekit.workdays import BERLIN

from support import config
from support.domain import assignment as assign_rules
from support.domain import lifecycle
from support.domain.assignment import AssignmentPolicy
from support.domain.crisis import CrisisPolicy, SlaState, crisis_deadline, place_crisis, sla_state
from support.domain.errors import NoCaseworkerAvailable
from support.domain.model import Absence as DomainAbsence
from support.domain.model import Caseworker as DomainCaseworker
from support.domain.model import Interval, Role
from support.domain.office_hours import OfficeHours, local_date
from support.domain.plan import SupportPlan
from support.domain.scheduler import BusyCalendar, check_slot, place_visits
from support.models import Appointment, Caseworker, Crisis, KnownContract, SupportCase

log = structlog.get_logger("support")


@dataclass(frozen=True)
class SupportConfig:
    plan: SupportPlan = field(default_factory=config.load_plan)
    office_hours: OfficeHours = field(default_factory=config.load_office_hours)
    crisis: CrisisPolicy = field(default_factory=config.load_crisis)
    assignment: AssignmentPolicy = field(default_factory=config.load_assignment)
    horizon_weeks: int = field(default_factory=lambda: int(config.load_scheduling().get("horizon_weeks", 8)))
    planned_notice: timedelta = field(
        default_factory=lambda: timedelta(hours=int(config.load_scheduling().get("planned_notice_hours", 24)))
    )


_CONFIG: SupportConfig | None = None


def settings() -> SupportConfig:
    global _CONFIG
    if _CONFIG is None:
        _CONFIG = SupportConfig()
    return _CONFIG


# --- caseworkers -----------------------------------------------------------------------------


def hash_feed_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_feed_token(caseworker: Caseworker) -> str:
    """A fresh secret for the calendar URL; only its hash is stored, so it is shown once."""
    token = secrets.token_urlsafe(32)
    caseworker.feed_token_hash = hash_feed_token(token)
    return token


def to_domain(cw: Caseworker) -> DomainCaseworker:
    return DomainCaseworker(
        id=cw.id,
        roles=frozenset(Role(r) for r in cw.roles),
        max_cases=cw.max_cases,
        weekly_minutes=cw.weekly_minutes,
        working_weekdays=frozenset(cw.working_weekdays),
        districts=frozenset(cw.districts or ()),
        absences=tuple(DomainAbsence(a.first_day, a.last_day, a.kind) for a in cw.absences),
        active=cw.active,
    )


def all_caseworkers(session: Session) -> list[Caseworker]:
    return list(session.scalars(select(Caseworker).options(selectinload(Caseworker.absences)).order_by(Caseworker.id)))


def active_loads(session: Session, ids=None) -> dict[str, int]:
    """Open cases per caseworker (a case counts once per person, whatever their role in it),
    counted by the database: one row per caseworker, not one per open case (opening a case asks
    twice, and the open cases grow into the thousands). `ids` limits it to these caseworkers."""
    roles = [
        select(SupportCase.id.label("case_id"), column.label("caseworker_id")).where(
            SupportCase.status == "open", column.is_not(None), *([column.in_(ids)] if ids is not None else []))
        for column in (SupportCase.contact_person_id, SupportCase.social_worker_id)
    ]
    pairs = union(*roles).subquery()  # UNION drops the second row of a person who holds both roles
    rows = session.execute(select(pairs.c.caseworker_id, func.count()).group_by(pairs.c.caseworker_id))
    return {caseworker_id: count for caseworker_id, count in rows}


def lock_caseworker(session: Session, caseworker_id: str) -> Caseworker:
    """Row lock on the caseworker: bookings for one person are serialised (PostgreSQL); the
    exclusion constraint stays the guarantee, the lock just avoids losing the race."""
    caseworker = session.get(
        Caseworker, caseworker_id, with_for_update=True, populate_existing=True,
        options=[selectinload(Caseworker.absences)],
    )
    if caseworker is None:
        raise NotFound("No caseworker with this id.")
    return caseworker


def lock_caseworkers(session: Session, ids) -> dict[str, Caseworker]:
    """`lock_caseworker` for several in one statement; rows are locked in id order (ORDER BY sits
    below the row locks), the order every booking takes them in, so two never deadlock."""
    rows = session.scalars(
        select(Caseworker).where(Caseworker.id.in_(sorted(ids))).order_by(Caseworker.id).with_for_update()
        .options(selectinload(Caseworker.absences)).execution_options(populate_existing=True)
    ).all()
    if len(rows) != len(set(ids)):
        raise NotFound("No caseworker with this id.")
    return {row.id: row for row in rows}


def busy_calendar(session: Session, caseworker_id: str, first: date, end: date, *, exclude: str | None = None) -> BusyCalendar:
    start = datetime.combine(first - timedelta(days=7), datetime.min.time(), tzinfo=BERLIN)
    stop = datetime.combine(end + timedelta(days=7), datetime.min.time(), tzinfo=BERLIN)
    stmt = select(Appointment.starts_at, Appointment.ends_at).where(
        Appointment.caseworker_id == caseworker_id,
        Appointment.status != "cancelled",
        Appointment.starts_at < stop,
        Appointment.ends_at > start,
    )
    if exclude:
        stmt = stmt.where(Appointment.id != exclude)
    return BusyCalendar(Interval(s, e) for s, e in session.execute(stmt))


def person(cw: Caseworker | None) -> dict | None:
    if cw is None:
        return None
    return {"id": cw.id, "name": cw.name, "email": cw.email, "phone": cw.phone}


# --- cases -----------------------------------------------------------------------------------


def open_case(uow: UnitOfWork, data: dict) -> SupportCase | None:
    """A lease was signed: the case opens at once; the team is assigned and the first weeks of the
    plan are booked in the same transaction when staff are available (else a job retries)."""
    session = uow.session
    if session.scalar(select(SupportCase.id).where(SupportCase.proposal_id == data["proposal_id"])):
        return None
    now = uow.now()
    address = data.get("address") or {}
    household = data.get("household") or {}
    known = session.scalar(
        select(KnownContract).where(
            KnownContract.household_id == data["household_id"], KnownContract.company_id == data["company_id"]
        )
    )
    case = SupportCase(
        id=str(uuid.uuid4()),
        proposal_id=data["proposal_id"],
        household_id=data["household_id"],
        company_id=data["company_id"],
        flat_id=data.get("flat_id"),
        contract_id=known.contract_id if known else None,
        status="open",
        opened_at=now,
        reference=lifecycle.case_reference(local_date(now).year, uuid.uuid4().hex[:8]),
        support_start=data.get("lease_start") or local_date(now),
        district=address.get("district"),
        street=address.get("street"),
        postal_code=address.get("postal_code"),
        city=address.get("city"),
        household_name=household.get("name"),
        household_email=household.get("email"),
        household_phone=household.get("phone"),
        household_size=household.get("size"),
        referral_no=data.get("household_reference"),
    )
    session.add(case)
    session.flush()
    uow.audit("case", case.id, "opened", to_state="open")
    assign_team(uow, case, note_waiting=True, first_visit_only=True)
    return case


def assign_team(uow: UnitOfWork, case: SupportCase, *, note_waiting: bool = False,
                first_visit_only: bool = False) -> bool:
    """Choose contact person and social worker; publish support.case.opened once they are known.
    `first_visit_only`: book just the first visit of the plan now and leave the rest of the
    horizon to the `book-new-cases` job (see `book_new_cases`)."""
    session = uow.session
    today = local_date(uow.now())
    # who works here and their loads: read once per transaction, kept up to date below
    people = per_transaction(session, "support.caseworkers", lambda: [to_domain(p) for p in all_caseworkers(session)])
    loads = per_transaction(session, "support.loads", lambda: active_loads(session))
    for _attempt in range(3):
        try:
            team = assign_rules.choose_team(
                people, loads, today, district=case.district, policy=settings().assignment,
            )
        except NoCaseworkerAvailable as exc:
            if note_waiting:  # once, not on every retry of the job
                uow.audit("case", case.id, "awaiting_assignment", detail={"why": exc.message})
            log.warning("case.awaiting_assignment", case_id=case.id)
            return False
        # lock in id order (no deadlock between two openings) and re-check capacity under the lock
        ids = sorted({team.contact_person.id, team.social_worker.id})
        locked = lock_caseworkers(session, ids)
        fresh = active_loads(session, ids)  # counted under the lock: this decides, not the memo
        loads.update({i: fresh.get(i, 0) for i in ids})
        if all(loads[i] < locked[i].max_cases for i in ids):
            break
    else:
        log.warning("case.awaiting_assignment", case_id=case.id)
        return False
    case.contact_person_id = team.contact_person.id
    case.social_worker_id = team.social_worker.id
    for i in ids:
        loads[i] += 1
    session.flush()
    contact = locked[team.contact_person.id]
    uow.audit("case", case.id, "assigned", detail={"contact_person_id": case.contact_person_id,
                                                   "social_worker_id": case.social_worker_id})
    uow.publish("support.case.opened", {
        "case_id": case.id,
        "case_reference": case.reference,
        "household_id": case.household_id,
        "company_id": case.company_id,
        "contract_id": case.contract_id,
        "contract_no": _contract_no(session, case.contract_id),
        "contact_person_id": contact.id,
        "contact_person": person(contact),
        "social_worker_id": case.social_worker_id,
        "household": {"name": case.household_name, "email": case.household_email, "phone": case.household_phone},
        "support_start": case.support_start,
    })
    book_horizon(uow, case, first_visit_only=first_visit_only, locked=locked)
    return True


def _contract_no(session: Session, contract_id: str | None) -> str | None:
    """The guarantee's number (GV-...) once contracts told it: what people quote, not the id."""
    known = session.get(KnownContract, contract_id) if contract_id else None
    return known.contract_no if known else None


def households_of(session: Session, case_ids) -> dict[str, str]:
    """case id → household id, for the access log of responses that list appointments or crises."""
    ids = sorted(set(case_ids))
    if not ids:
        return {}
    return dict(session.execute(select(SupportCase.id, SupportCase.household_id).where(SupportCase.id.in_(ids))).all())


def load_case(session: Session, case_id: str, *, lock: bool = False) -> SupportCase:
    case = session.get(SupportCase, case_id, with_for_update=lock)
    if case is None:
        raise NotFound("No support case with this id.")
    return case


def find_open_case(session: Session, *, contract_id: str | None, household_id: str | None) -> SupportCase | None:
    """The open case an event from contracts is about: by contract, else by the contract's
    household as learnt from contracts.contract.created, else by the household id in the event."""
    if contract_id:
        case = session.scalar(select(SupportCase).where(SupportCase.contract_id == contract_id))
        if case is not None:
            return case
        known = session.get(KnownContract, contract_id)
        if known is not None:
            household_id = known.household_id
    if household_id:
        return session.scalar(
            select(SupportCase)
            .where(SupportCase.household_id == household_id, SupportCase.status == "open")
            .order_by(SupportCase.opened_at.desc())
        )
    return None


def learn_contract(uow: UnitOfWork, data: dict) -> None:
    session = uow.session
    known = session.get(KnownContract, data["contract_id"])
    if known is None:
        known = KnownContract(contract_id=data["contract_id"], household_id=data["household_id"],
                              company_id=data["company_id"])
        session.add(known)
    known.contract_no = data.get("contract_no")
    known.term_start = data.get("term_start")
    known.term_end = data.get("term_end")
    session.flush()
    for case in session.scalars(
        select(SupportCase).where(
            SupportCase.household_id == data["household_id"],
            SupportCase.company_id == data["company_id"],
            SupportCase.status == "open",
            SupportCase.contract_id.is_(None),
        )
    ):
        case.contract_id = data["contract_id"]
        uow.audit("case", case.id, "contract_linked", detail={"contract_id": data["contract_id"]})


def close_case(uow: UnitOfWork, case: SupportCase, outcome: lifecycle.CloseOutcome, reason: str | None) -> None:
    """Close with an outcome; every future appointment is cancelled (and announced)."""
    try:
        lifecycle.close_case(lifecycle.CaseState(case.status), outcome, reason)
    except lifecycle.InvalidTransition as exc:
        raise Conflict(exc.message) from exc
    now = uow.now()
    future = uow.session.scalars(
        select(Appointment).where(Appointment.case_id == case.id, Appointment.status == "scheduled",
                                  Appointment.starts_at > now)
    )
    for appointment in future:
        _cancel(uow, appointment, "Fall abgeschlossen")
    for crisis in uow.session.scalars(select(Crisis).where(Crisis.case_id == case.id, Crisis.status == "pending")):
        crisis.status = "closed"
        crisis.decided_at = now
    case.status, case.outcome, case.close_reason, case.closed_at = "closed", outcome.value, reason, now
    case.at_risk = False
    uow.session.flush()
    uow.audit("case", case.id, "closed", from_state="open", to_state="closed",
              detail={"outcome": outcome.value})
    uow.publish("support.case.closed", {
        "case_id": case.id, "household_id": case.household_id, "company_id": case.company_id,
        "contract_id": case.contract_id, "contact_person_id": case.contact_person_id,
        "outcome": outcome.value, "reason": reason,
    })


def reassign(uow: UnitOfWork, case: SupportCase, role: Role, new_id: str, reason: str) -> Caseworker:
    """The deliberate change of a case's contact person or social worker: audited and announced.
    Future appointments of the previous person in this case move to the new person where the new
    person is free at that time; the others are cancelled and rebooked by the planner."""
    session = uow.session
    attr = "contact_person_id" if role is Role.CONTACT_PERSON else "social_worker_id"
    previous = getattr(case, attr)
    try:
        lifecycle.check_reassignment(lifecycle.CaseState(case.status), previous or "", new_id, reason)
    except lifecycle.InvalidTransition as exc:
        raise Conflict(exc.message) from exc
    new = session.get(Caseworker, new_id)
    if new is None:
        raise Unprocessable("No caseworker with this id.", field="caseworker_id")
    if not new.active or role.value not in new.roles:
        raise Unprocessable(f"This caseworker is not an active {role.value}.", field="caseworker_id")
    new = lock_caseworker(session, new_id)
    now = uow.now()
    setattr(case, attr, new_id)
    session.flush()
    moved, cancelled = 0, 0
    domain_new = to_domain(new)
    for appointment in session.scalars(
        select(Appointment).where(Appointment.case_id == case.id, Appointment.caseworker_id == previous,
                                  Appointment.status == "scheduled", Appointment.starts_at > now)
        .order_by(Appointment.starts_at)
    ):
        slot = Interval(appointment.starts_at, appointment.ends_at)
        busy = busy_calendar(session, new_id, local_date(slot.start), local_date(slot.end))
        if not check_slot(domain_new, slot, busy, settings().office_hours, now):
            plan_key, crisis_id = appointment.plan_key, appointment.crisis_id
            _cancel(uow, appointment, "Zuständigkeit gewechselt", keep_plan_key=False)
            replacement = _add_appointment(uow, case, new_id, appointment.kind, slot, plan_key=plan_key,
                                           crisis_id=crisis_id)
            crisis = session.get(Crisis, crisis_id) if crisis_id else None
            if crisis is not None and crisis.appointment_id is None:
                _attach_crisis_appointment(uow, crisis, replacement)
            moved += 1
        else:
            _cancel(uow, appointment, "Zuständigkeit gewechselt", keep_plan_key=False)
            cancelled += 1
    uow.audit("case", case.id, "reassigned", detail={
        "role": role.value, "from": previous, "to": new_id, "reason": reason, "moved": moved, "cancelled": cancelled})
    uow.publish("support.case.reassigned", {
        "case_id": case.id, "household_id": case.household_id, "company_id": case.company_id,
        "role": role.value, "previous_caseworker_id": previous, "caseworker_id": new_id,
        "caseworker": person(new), "reason": reason,
    })
    if role is Role.SOCIAL_WORKER or cancelled:
        book_horizon(uow, case)
    return new


# --- appointments ----------------------------------------------------------------------------


def appointment_data(appointment: Appointment, case: SupportCase) -> dict:
    return {
        "appointment_id": appointment.id, "case_id": case.id, "case_reference": case.reference,
        "household_id": case.household_id, "caseworker_id": appointment.caseworker_id, "kind": appointment.kind,
        "starts_at": appointment.starts_at, "ends_at": appointment.ends_at,
    }


def _add_appointment(uow: UnitOfWork, case: SupportCase, caseworker_id: str, kind: str, slot: Interval, *,
                     plan_key: str | None = None, crisis_id: str | None = None) -> Appointment:
    """Insert one appointment inside a savepoint: if the database refuses it (overlap caught by
    the exclusion constraint/trigger), nothing else in the transaction is lost."""
    now = uow.now()
    appointment = Appointment(
        id=str(uuid.uuid4()), case_id=case.id, caseworker_id=caseworker_id, kind=kind,
        starts_at=slot.start, ends_at=slot.end, status="scheduled", plan_key=plan_key, crisis_id=crisis_id,
        sequence=0, created_at=now, updated_at=now,
    )
    try:
        with uow.session.begin_nested():
            uow.session.add(appointment)
    except IntegrityError as exc:
        raise Conflict("The caseworker already has an appointment at this time.") from exc
    uow.audit("appointment", appointment.id, "scheduled", to_state="scheduled",
              detail={"case_id": case.id, "kind": kind, "plan_key": plan_key})
    uow.publish("support.appointment.scheduled", appointment_data(appointment, case))
    return appointment


def book_horizon(uow: UnitOfWork, case: SupportCase, *, first_visit_only: bool = False,
                 locked: dict[str, Caseworker] | None = None) -> list[Appointment]:
    """Book the plan's visits that fall in the rolling horizon and are not booked yet.

    `first_visit_only` (a case just opened, nothing booked yet): only the earliest due visit.
    Booking the whole horizon inside the event's transaction cost ~9 visits with their audit
    entries and events per case and made support the slowest step after a lease; the rest is
    booked seconds later by `book_new_cases`, which marks the case `horizon_booked_until`.
    `locked`: caseworkers this transaction has already locked (and loaded with absences)."""
    if case.status != "open" or case.support_start is None:
        return []
    cfg = settings()
    session = uow.session
    now = uow.now()
    today = local_date(now)
    end = today + timedelta(weeks=cfg.horizon_weeks)
    due = cfg.plan.due_visits(case.support_start, today, end)
    if first_visit_only:  # nothing is booked for a case opened in this transaction
        due = sorted(due, key=lambda v: v.due)[:1]
    else:
        known = set(session.scalars(select(Appointment.plan_key).where(Appointment.case_id == case.id,
                                                                        Appointment.plan_key.is_not(None))))
        due = [v for v in due if v.key not in known]
        case.horizon_booked_until = end
    booked: list[Appointment] = []
    for role in (Role.SOCIAL_WORKER, Role.CONTACT_PERSON):
        visits = [v for v in due if v.role is role]
        caseworker_id = case.social_worker_id if role is Role.SOCIAL_WORKER else case.contact_person_id
        if not visits or caseworker_id is None:
            continue
        caseworker = (locked or {}).get(caseworker_id) or lock_caseworker(session, caseworker_id)
        busy = busy_calendar(session, caseworker_id, today, max(v.window_end for v in visits))
        by_key = {v.key: v for v in visits}
        items = []
        for placement in place_visits(to_domain(caseworker), busy, visits, cfg.office_hours, now=now,
                                      notice=cfg.planned_notice):
            if placement.slot is None:
                log.info("plan.visit_unplaced", case_id=case.id, visit=placement.key)
            else:
                items.append((by_key[placement.key], placement.slot))
        booked += _add_planned(uow, case, caseworker_id, items)
    return booked


def _add_planned(uow: UnitOfWork, case: SupportCase, caseworker_id: str, items) -> list[Appointment]:
    """Insert a batch of planned visits in one statement; if the database refuses the batch (a
    clash we could not see, e.g. the lock was bypassed), book them one by one and skip only the
    clashing ones — the next planner run retries those."""
    now = uow.now()
    rows = [
        Appointment(id=str(uuid.uuid4()), case_id=case.id, caseworker_id=caseworker_id, kind=visit.kind,
                    starts_at=slot.start, ends_at=slot.end, status="scheduled", plan_key=visit.key,
                    sequence=0, created_at=now, updated_at=now)
        for visit, slot in items
    ]
    try:
        with uow.session.begin_nested():
            uow.session.add_all(rows)
    except IntegrityError:
        booked = []
        for visit, slot in items:
            try:
                booked.append(_add_appointment(uow, case, caseworker_id, visit.kind, slot, plan_key=visit.key))
            except Conflict:
                log.warning("plan.visit_conflict", case_id=case.id, visit=visit.key)
        return booked
    for row in rows:
        uow.audit("appointment", row.id, "scheduled", to_state="scheduled",
                  detail={"case_id": case.id, "kind": row.kind, "plan_key": row.plan_key})
        uow.publish("support.appointment.scheduled", appointment_data(row, case))
    return rows


def book_by_hand(uow: UnitOfWork, case: SupportCase, caseworker_id: str, kind: str, starts_at: datetime,
                 minutes: int) -> Appointment:
    if case.status != "open":
        raise Conflict("The case is closed; no new appointments.")
    slot = _checked_slot(uow, caseworker_id, starts_at, minutes)
    crisis = None
    if kind == "crisis":
        crisis = uow.session.scalar(select(Crisis).where(Crisis.case_id == case.id, Crisis.status == "pending",
                                                         Crisis.appointment_id.is_(None)))
    appointment = _add_appointment(uow, case, caseworker_id, kind, slot, crisis_id=crisis.id if crisis else None)
    if crisis is not None:
        _attach_crisis_appointment(uow, crisis, appointment)
    return appointment


def _checked_slot(uow: UnitOfWork, caseworker_id: str, starts_at: datetime, minutes: int,
                  *, exclude: str | None = None) -> Interval:
    caseworker = uow.session.get(Caseworker, caseworker_id)
    if caseworker is None:
        raise Unprocessable("No caseworker with this id.", field="caseworker_id")
    if not caseworker.active:
        raise Unprocessable("This caseworker is no longer active.", field="caseworker_id")
    caseworker = lock_caseworker(uow.session, caseworker_id)
    starts_at = starts_at.astimezone(timezone.utc)
    slot = Interval(starts_at, starts_at + timedelta(minutes=minutes))
    busy = busy_calendar(uow.session, caseworker_id, local_date(slot.start), local_date(slot.end), exclude=exclude)
    violations = check_slot(to_domain(caseworker), slot, busy, settings().office_hours, uow.now())
    if violations:
        overlap = [v for v in violations if v.code.value == "overlap"]
        detail = "; ".join(v.message for v in violations)
        if overlap and len(violations) == 1:
            raise Conflict(detail, violations=[v.code.value for v in violations])
        raise Unprocessable(detail, field="starts_at", violations=[v.code.value for v in violations])
    return slot


def _transition(appointment: Appointment, action: lifecycle.AppointmentAction, now: datetime,
                text: str | None = None) -> lifecycle.AppointmentState:
    try:
        return lifecycle.appointment_transition(lifecycle.AppointmentState(appointment.status), action,
                                                appointment.starts_at, now, text)
    except lifecycle.InvalidTransition as exc:
        raise Conflict(exc.message) from exc


def reschedule(uow: UnitOfWork, appointment: Appointment, starts_at: datetime, minutes: int | None) -> Appointment:
    now = uow.now()
    case = load_case(uow.session, appointment.case_id)
    if case.status != "open":
        raise Conflict("The case is closed; its appointments cannot be moved.")
    _transition(appointment, lifecycle.AppointmentAction.RESCHEDULE, now)
    minutes = minutes or int((appointment.ends_at - appointment.starts_at).total_seconds() // 60)
    slot = _checked_slot(uow, appointment.caseworker_id, starts_at, minutes, exclude=appointment.id)
    previous = appointment.starts_at
    appointment.starts_at, appointment.ends_at = slot.start, slot.end
    appointment.sequence += 1
    appointment.updated_at = now
    try:
        with uow.session.begin_nested():
            uow.session.flush()
    except IntegrityError as exc:
        raise Conflict("The caseworker already has an appointment at this time.") from exc
    uow.audit("appointment", appointment.id, "rescheduled",
              detail={"from": previous.isoformat(), "to": slot.start.isoformat()})
    uow.publish("support.appointment.rescheduled", appointment_data(appointment, case))
    if appointment.crisis_id:
        crisis = uow.session.get(Crisis, appointment.crisis_id)
        if crisis is not None:
            _attach_crisis_appointment(uow, crisis, appointment)
    return appointment


def _cancel(uow: UnitOfWork, appointment: Appointment, reason: str, *, keep_plan_key: bool = True) -> None:
    """Cancel and announce. A planned visit keeps its plan key (the planner will not book it
    again); on reassignment the key is freed so the visit can be rebooked with the new person."""
    case = load_case(uow.session, appointment.case_id)
    appointment.status = "cancelled"
    appointment.cancel_reason = reason
    appointment.updated_at = uow.now()
    appointment.sequence += 1
    if not keep_plan_key:
        appointment.plan_key = None
    uow.session.flush()
    uow.audit("appointment", appointment.id, "cancelled", from_state="scheduled", to_state="cancelled",
              detail={"reason": reason})
    data = appointment_data(appointment, case)
    data["reason"] = reason
    uow.publish("support.appointment.cancelled", data)
    if appointment.crisis_id:
        crisis = uow.session.get(Crisis, appointment.crisis_id)
        if crisis is not None and crisis.appointment_id == appointment.id and crisis.status in ("pending", "met"):
            crisis.appointment_id = None
            crisis.status = "pending"
            crisis.decided_at = None
            refresh_crisis(uow, crisis)


def cancel(uow: UnitOfWork, appointment: Appointment, reason: str) -> None:
    _transition(appointment, lifecycle.AppointmentAction.CANCEL, uow.now(), reason)
    _cancel(uow, appointment, reason)


def finish(uow: UnitOfWork, appointment: Appointment, action: lifecycle.AppointmentAction, note: str | None) -> None:
    state = _transition(appointment, action, uow.now(), note)
    previous = appointment.status
    appointment.status = state.value
    appointment.outcome_note = note
    appointment.updated_at = uow.now()
    uow.session.flush()
    uow.audit("appointment", appointment.id, state.value, from_state=previous, to_state=state.value)


# --- crises ----------------------------------------------------------------------------------


def raise_crisis(uow: UnitOfWork, case: SupportCase, trigger: str, source_id: str, reported_at: datetime) -> Crisis | None:
    """Mark the case at risk and book a crisis appointment before the SLA deadline, with the
    contact person or, when they cannot be seen in time, a substitute."""
    session = uow.session
    if case.status != "open":
        return None
    if session.scalar(select(Crisis.id).where(Crisis.source_id == source_id)):
        return None
    cfg = settings()
    now = uow.now()
    deadline = crisis_deadline(reported_at, cfg.crisis, cfg.office_hours)
    crisis = Crisis(id=str(uuid.uuid4()), case_id=case.id, trigger=trigger, source_id=source_id,
                    reported_at=reported_at, deadline=deadline, status="pending")
    session.add(crisis)
    if not case.at_risk:
        case.at_risk, case.at_risk_since = True, now
        uow.audit("case", case.id, "at_risk", detail={"trigger": trigger})
    session.flush()
    uow.publish("support.case.at_risk", {"case_id": case.id, "case_reference": case.reference,
                                         "household_id": case.household_id,
                                         "contact_person_id": case.contact_person_id,
                                         "trigger": trigger, "deadline": deadline})
    if not place_crisis_appointment(uow, case, crisis):
        uow.audit("crisis", crisis.id, "no_slot_before_deadline", detail={"deadline": deadline.isoformat()})
        refresh_crisis(uow, crisis)
    return crisis


def place_crisis_appointment(uow: UnitOfWork, case: SupportCase, crisis: Crisis) -> bool:
    """Book the crisis appointment (contact person first, else a substitute); False if nobody
    can be seen before the deadline."""
    if case.contact_person_id is None:
        return False
    session = uow.session
    cfg = settings()
    now = uow.now()
    people = {p.id: p for p in all_caseworkers(session)}
    contact = to_domain(people[case.contact_person_id])
    substitutes = assign_rules.rank_candidates(
        [to_domain(p) for p in people.values()], Role.CONTACT_PERSON, active_loads(session), local_date(now),
        district=case.district, policy=AssignmentPolicy(lookahead_days=0), respect_capacity=False,
        exclude=frozenset({contact.id}),
    )
    window_end = local_date(crisis.deadline) + timedelta(days=1)

    def busy_for(caseworker_id: str) -> BusyCalendar:
        lock_caseworker(session, caseworker_id)
        return busy_calendar(session, caseworker_id, local_date(now), window_end)

    placed = place_crisis(contact, substitutes, busy_for, crisis.reported_at, now, cfg.crisis, cfg.office_hours)
    if placed is None:
        return False
    try:
        appointment = _add_appointment(uow, case, placed.caseworker_id, "crisis", placed.slot, crisis_id=crisis.id)
    except Conflict:
        return False
    crisis.substitute = placed.substitute
    _attach_crisis_appointment(uow, crisis, appointment)
    return True


def _attach_crisis_appointment(uow: UnitOfWork, crisis: Crisis, appointment: Appointment) -> None:
    crisis.appointment_id = appointment.id
    crisis.caseworker_id = appointment.caseworker_id
    if crisis.status in ("pending", "met"):
        crisis.status = "pending"
        refresh_crisis(uow, crisis)


def refresh_crisis(uow: UnitOfWork, crisis: Crisis) -> None:
    """Decide met / breached as soon as it is known (see domain.crisis.sla_state)."""
    if crisis.status not in ("pending",):
        return
    start = None
    if crisis.appointment_id:
        start = uow.session.scalar(select(Appointment.starts_at).where(Appointment.id == crisis.appointment_id,
                                                                      Appointment.status != "cancelled"))
    state = sla_state(crisis.deadline, start, uow.now())
    if state is SlaState.PENDING:
        return
    crisis.status = state.value
    crisis.decided_at = uow.now()
    uow.session.flush()
    uow.audit("crisis", crisis.id, state.value, from_state="pending", to_state=state.value)
    if state is SlaState.BREACHED:
        case = load_case(uow.session, crisis.case_id)
        uow.publish("support.crisis.breached", {"crisis_id": crisis.id, "case_id": crisis.case_id,
                                                "case_reference": case.reference,
                                                "household_id": case.household_id,
                                                "contact_person_id": case.contact_person_id,
                                                "deadline": crisis.deadline})


def clear_absence(uow: UnitOfWork, caseworker: Caseworker, first: date, last: date) -> None:
    """A new absence: this person's future appointments in it are cancelled; planned visits are
    booked again (with this person, around the absence) and crisis appointments go back to
    pending, so staff see them on the crisis list."""
    now = uow.now()
    start = datetime.combine(first, datetime.min.time(), tzinfo=BERLIN)
    stop = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=BERLIN)
    affected = uow.session.scalars(
        select(Appointment).where(Appointment.caseworker_id == caseworker.id, Appointment.status == "scheduled",
                                  Appointment.starts_at >= max(start, now), Appointment.starts_at < stop)
    ).all()
    case_ids, crisis_ids = set(), []
    for appointment in affected:
        _cancel(uow, appointment, "Abwesenheit der Fachkraft", keep_plan_key=False)
        case_ids.add(appointment.case_id)
        if appointment.crisis_id:
            crisis_ids.append(appointment.crisis_id)
    uow.session.expire(caseworker, ["absences"])
    for crisis_id in crisis_ids:  # a stand-in takes the crisis appointment at once
        crisis = uow.session.get(Crisis, crisis_id)
        if crisis.status == "pending" and crisis.appointment_id is None and crisis.deadline > now:
            place_crisis_appointment(uow, load_case(uow.session, crisis.case_id), crisis)
    for case_id in sorted(case_ids):
        book_horizon(uow, load_case(uow.session, case_id))


def plan_open_cases(uow_factory, *, batch: int = 200) -> dict[str, int]:
    """The rolling-horizon job: assign waiting cases, then book every open case's coming visits.
    One transaction per case, so one bad case never blocks the others."""
    counts = {"assigned": 0, "booked": 0, "failed": 0}
    with uow_factory() as unit:
        ids = list(unit.session.scalars(select(SupportCase.id).where(SupportCase.status == "open")
                                        .order_by(SupportCase.opened_at, SupportCase.id)))
    for case_id in ids:
        try:
            with uow_factory() as unit:
                case = load_case(unit.session, case_id, lock=True)
                if case.status != "open":
                    continue
                if case.contact_person_id is None:
                    if assign_team(unit, case):
                        counts["assigned"] += 1
                else:
                    counts["booked"] += len(book_horizon(unit, case))
                unit.commit()
        except Exception as exc:  # a conflict on one case must not stop the run; retried next time
            counts["failed"] += 1
            log.warning("plan.case_failed", case_id=case_id, error=type(exc).__name__)
    return counts


def book_new_cases(uow_factory, *, batch: int = 200) -> int:
    """Book the rest of the horizon of cases that opened with their first visit only; returns the
    visits booked. One transaction per case. The case's caseworkers are locked first, as a case
    opening in the consumer locks its team first; the case row only if nobody holds it."""
    with uow_factory() as unit:
        ids = list(unit.session.scalars(
            select(SupportCase.id)
            .where(SupportCase.horizon_booked_until.is_(None), SupportCase.status == "open",
                   SupportCase.contact_person_id.is_not(None))
            .order_by(SupportCase.opened_at).limit(batch)))
    booked = 0
    for case_id in ids:
        try:
            with uow_factory() as unit:
                team = unit.session.execute(select(SupportCase.contact_person_id, SupportCase.social_worker_id)
                                            .where(SupportCase.id == case_id)).one()
                locked = lock_caseworkers(unit.session, set(team) - {None})
                # a case row locked by the consumer's batch is skipped, not waited for: that batch
                # may be waiting for the caseworkers locked above (the next run takes the case)
                case = unit.session.get(SupportCase, case_id, with_for_update={"skip_locked": True},
                                        populate_existing=True)
                if case is None or case.status != "open" or case.horizon_booked_until is not None:
                    continue  # locked, closed meanwhile, or another worker was first
                booked += len(book_horizon(unit, case, locked=locked))
                unit.commit()
        except Exception as exc:  # retried on the next run; the hourly planner books it too
            log.warning("plan.case_failed", case_id=case_id, error=type(exc).__name__)
    return booked


def decide_crises(uow_factory) -> int:
    """Mark pending crisis deadlines met or breached; breaches are announced once."""
    decided = 0
    with uow_factory() as unit:
        pending = unit.session.scalars(select(Crisis).where(Crisis.status == "pending")
                                       .with_for_update(skip_locked=True)).all()
        for crisis in pending:
            if crisis.appointment_id is None and crisis.deadline > unit.now():
                # e.g. its appointment fell into a new absence, or the case had no contact person yet
                place_crisis_appointment(unit, load_case(unit.session, crisis.case_id), crisis)
            refresh_crisis(unit, crisis)
            decided += crisis.status != "pending"
        unit.commit()
    return decided
