"""Support cases: opened when a lease is signed, a team chosen, contracts' facts learnt, closed
with an outcome, handed to another caseworker, at risk and cleared. Every change of a case goes
through the case state machine (`domain.lifecycle`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy import select

from servicekit.bus.consumer import NotYet
from servicekit.bus.payload import flattened, picked
from servicekit.clock import berlin_date
from servicekit.db import UnitOfWork
from servicekit.db.memo import per_transaction

from support import config, repository
from support.domain import assignment as assign_rules
from support.domain import events, lifecycle
from support.domain.errors import NoCaseworkerAvailable, RuleViolation
from support.domain.lifecycle import AppointmentState, CaseState, CloseOutcome
from support.domain.model import Interval, Role
from support.domain.scheduler import check_slot
from support.models import Appointment, Caseworker, SupportCase
from support.usecases import appointments, crises

log = structlog.get_logger("support")

OPEN = CaseState.OPEN.value
# the columns a case takes from matching.tenancy.agreed, as `flattened` names them
TENANCY_COLUMNS = ("proposal_id", "household_id", "company_id", "flat_id", "district", "street", "postal_code",
                   "city", "household_name", "household_email", "household_phone", "household_size")


def open_case(uow: UnitOfWork, data: dict[str, Any]) -> SupportCase | None:
    """A lease was signed: the case opens at once; the team is assigned and the first visit of
    the plan is booked in the same transaction when staff are available (else a job retries).
    None when this proposal's case exists already (the event re-published under a new id)."""
    session = uow.session
    if session.scalar(select(SupportCase.id).where(SupportCase.proposal_id == data["proposal_id"])):
        return None
    now = uow.now()
    case = SupportCase(
        **picked(flattened(data, address="", household="household_"), TENANCY_COLUMNS),
        id=str(uuid.uuid4()),
        status=OPEN,
        opened_at=now,
        reference=lifecycle.case_reference(berlin_date(now).year, uuid.uuid4().hex[:8]),
        support_start=data.get("lease_start") or berlin_date(now),
        referral_no=data.get("household_reference"),
    )
    # the team is chosen (and locked) before the case is written, so that its row is inserted with
    # the team rather than updated after; the audit trail keeps its order (opened, then assigned)
    choice = _choose_team(uow, case)
    session.add(case)
    session.flush()
    uow.audit("case", case.id, "opened", to_state=OPEN)
    _settle_team(uow, case, choice, note_waiting=True, first_visit_only=True)
    return case


def assign_team(uow: UnitOfWork, case: SupportCase, *, note_waiting: bool = False,
                first_visit_only: bool = False) -> bool:
    """Choose contact person and social worker; publish support.case.opened once they are known.
    `first_visit_only`: book just the first visit of the plan now and leave the rest of the
    horizon to the `book-new-cases` job (see `planning.book_new_cases`). False while nobody
    fits (the hourly planner tries again)."""
    choice = _choose_team(uow, case)
    if isinstance(choice, _Chosen):
        uow.session.flush()
    return _settle_team(uow, case, choice, note_waiting=note_waiting, first_visit_only=first_visit_only)


@dataclass(frozen=True)
class _Chosen:
    locked: dict[str, repository.Person]  # the team, as it is under the row locks


def _settle_team(uow: UnitOfWork, case: SupportCase, choice, *, note_waiting: bool, first_visit_only: bool) -> bool:
    """What follows the choice: the team audited, announced and the plan's visits booked; or the
    case noted as waiting (`note_waiting`: once, not on every retry of the job)."""
    if not isinstance(choice, _Chosen):
        if note_waiting and isinstance(choice, NoCaseworkerAvailable):
            uow.audit("case", case.id, "awaiting_assignment", detail={"why": choice.detail})
        log.warning("case.awaiting_assignment", case_id=case.id)
        return False
    uow.audit("case", case.id, "assigned", detail={"contact_person_id": case.contact_person_id,
                                                   "social_worker_id": case.social_worker_id})
    uow.publish_events(events.case_opened(case, choice.locked[case.contact_person_id]))
    appointments.book_horizon(uow, case, first_visit_only=first_visit_only, locked=choice.locked)
    return True


def _people_and_loads(session) -> tuple[list, dict[str, int]]:
    people, loads = repository.people_with_loads(session)
    return [p.domain for p in people.values()], loads


def _choose_team(uow: UnitOfWork, case: SupportCase) -> _Chosen | NoCaseworkerAvailable | None:
    """The domain's choice, confirmed under row locks and set on the case (the loads count it);
    the reason when nobody fits, None when capacity went to others under the lock three times.
    Who works here and their loads are read once per transaction and kept up to date; the
    capacity check that decides is counted under the lock."""
    session = uow.session
    today = berlin_date(uow.now())
    people, loads = per_transaction(session, "support.team_choice", lambda: _people_and_loads(session))
    for _attempt in range(3):
        try:
            team = assign_rules.choose_team(people, loads, today, district=case.district,
                                            policy=config.load_assignment())
        except NoCaseworkerAvailable as exc:
            return exc
        # lock in id order (no deadlock between two openings) and re-check capacity under the lock
        ids = sorted({team.contact_person.id, team.social_worker.id})
        locked = repository.lock_people(session, ids)
        fresh = repository.active_loads(session, ids)  # counted under the lock: this decides, not the memo
        loads.update({i: fresh.get(i, 0) for i in ids})
        if all(loads[i] < locked[i].domain.max_cases for i in ids):
            case.contact_person_id = team.contact_person.id
            case.social_worker_id = team.social_worker.id
            for i in ids:
                loads[i] += 1
            return _Chosen(locked)
    return None


def for_proposal(uow: UnitOfWork, proposal_id: str) -> SupportCase:
    """The case an event of contracts is about: every one names the proposal the lease came from,
    the id the case was opened under. None yet means that `matching.tenancy.agreed` has not been
    handled here (two services' events have no common order: the lease may sit in a retry tier or
    come back in a redelivery): NotYet, so that the consumer lets the event wait until the case
    exists — without counting it as a failed attempt, which would dead-letter a healthy event when
    the lease is slow."""
    case = uow.session.scalar(select(SupportCase).where(SupportCase.proposal_id == proposal_id))
    if case is None:
        raise NotYet("no support case for this proposal yet")
    return case


def link_contract(uow: UnitOfWork, case: SupportCase, contract_id: str, contract_no: str | None) -> None:
    """contracts.contract.created: the case is under this guarantee contract (once)."""
    if (case.contract_id, case.contract_no) == (contract_id, contract_no):
        return
    case.contract_id, case.contract_no = contract_id, contract_no
    uow.audit("case", case.id, "contract_linked", detail={"contract_id": contract_id})


def close_case(uow: UnitOfWork, case: SupportCase, outcome: CloseOutcome, reason: str | None) -> None:
    """Close with an outcome; every future appointment is cancelled (and announced), pending
    crises close with the case."""
    state = lifecycle.close_case(CaseState(case.status), outcome, reason)
    now = uow.now()
    future = uow.session.scalars(
        select(Appointment).where(Appointment.case_id == case.id, Appointment.status == AppointmentState.SCHEDULED.value,
                                  Appointment.starts_at > now)
    )
    for appointment in future:
        appointments.cancel_by_support(uow, appointment, "Fall abgeschlossen")
    crises.close_with_case(uow, case)
    case.status, case.outcome, case.close_reason, case.closed_at = state.value, outcome.value, reason, now
    case.at_risk = False
    uow.session.flush()
    uow.audit("case", case.id, "closed", from_state=OPEN, to_state=state.value, detail={"outcome": outcome.value})
    uow.publish_events(events.case_closed(case))


def close_on_expiry(uow: UnitOfWork, case: SupportCase) -> None:
    """The guarantee term is over: close with what staff recorded as the outcome, if anything."""
    if case.status != OPEN:
        return
    recorded = CloseOutcome(case.recorded_outcome) if case.recorded_outcome else None
    close_case(uow, case, lifecycle.outcome_on_expiry(recorded), None)


def close_on_termination(uow: UnitOfWork, case: SupportCase, reason: str | None) -> None:
    """The guarantee contract was terminated: the tenancy ended."""
    if case.status != OPEN:
        return
    close_case(uow, case, CloseOutcome.TENANCY_TERMINATED, reason or "Vertrag gekündigt")


def record_outcome(uow: UnitOfWork, case: SupportCase, outcome: CloseOutcome) -> None:
    """The outcome staff expect; the case closes with it when the guarantee term expires."""
    chosen = lifecycle.record_outcome(CaseState(case.status), outcome)
    previous, case.recorded_outcome = case.recorded_outcome, chosen.value
    uow.audit("case", case.id, "outcome_recorded", detail={"from": previous, "to": chosen.value})


def clear_risk(uow: UnitOfWork, case: SupportCase) -> None:
    """The crisis is over: the case is no longer at risk."""
    case.at_risk = lifecycle.clear_risk(case.at_risk)
    case.at_risk_since = None
    uow.audit("case", case.id, "risk_cleared")


def reassign(uow: UnitOfWork, case: SupportCase, role: Role, new_id: str, reason: str) -> Caseworker:
    """The deliberate change of a case's contact person or social worker: audited and announced.
    Future appointments of the previous person in this case move to the new person where the new
    person is free at that time; the others are cancelled and rebooked by the planner."""
    attr = "contact_person_id" if role is Role.CONTACT_PERSON else "social_worker_id"
    previous = getattr(case, attr)
    lifecycle.check_reassignment(CaseState(case.status), previous or "", new_id, reason)
    new = _new_holder(uow, role, new_id)
    setattr(case, attr, new_id)
    uow.session.flush()
    moved, cancelled = _hand_over_appointments(uow, case, previous, new)
    uow.audit("case", case.id, "reassigned", detail={
        "role": role.value, "from": previous, "to": new_id, "reason": reason, "moved": moved, "cancelled": cancelled})
    uow.publish_events(events.case_reassigned(case, role.value, previous, new, reason))
    if role is Role.SOCIAL_WORKER or cancelled:
        appointments.book_horizon(uow, case)
    return new


def _new_holder(uow: UnitOfWork, role: Role, new_id: str) -> Caseworker:
    new = uow.session.get(Caseworker, new_id)
    if new is None:
        raise RuleViolation("case.unknown_caseworker", "No caseworker with this id.", "caseworker_id")
    if not new.active or role.value not in new.roles:
        raise RuleViolation("case.caseworker_not_eligible", f"This caseworker is not an active {role.value}.",
                            "caseworker_id")
    return repository.lock_caseworker(uow.session, new_id)


def _hand_over_appointments(uow: UnitOfWork, case: SupportCase, previous: str | None, new: Caseworker) -> tuple[int, int]:
    """The previous person's future appointments in this case: each goes to the new person where
    they are free then, else it is cancelled (the planner books it again). (moved, cancelled)"""
    session, now = uow.session, uow.now()
    moved, cancelled = 0, 0
    domain_new = repository.to_domain(new)
    for appointment in session.scalars(
        select(Appointment).where(Appointment.case_id == case.id, Appointment.caseworker_id == previous,
                                  Appointment.status == AppointmentState.SCHEDULED.value, Appointment.starts_at > now)
        .order_by(Appointment.starts_at)
    ):
        slot = Interval(appointment.starts_at, appointment.ends_at)
        busy = repository.busy_calendar(session, new.id, berlin_date(slot.start), berlin_date(slot.end))
        free = not check_slot(domain_new, slot, busy, config.load_office_hours(), now)
        plan_key, crisis_id = appointment.plan_key, appointment.crisis_id
        appointments.cancel_by_support(uow, appointment, "Zuständigkeit gewechselt", keep_plan_key=False)
        if not free:
            cancelled += 1
            continue
        replacement = appointments.add_appointment(uow, case, new.id, appointment.kind, slot, plan_key=plan_key,
                                                   crisis_id=crisis_id)
        crises.replacement_booked(uow, crisis_id, replacement)
        moved += 1
    return moved, cancelled
