"""The batch jobs of support's planning: one transaction per case (or per run for the crisis
deadlines), so that one case in conflict never blocks the others; what fails is retried on the
next run."""

from __future__ import annotations

import structlog
from sqlalchemy import select

from support import repository
from support.domain.crisis import CrisisState
from support.domain.lifecycle import CaseState
from support.models import Crisis, SupportCase
from support.usecases import appointments, cases, crises

log = structlog.get_logger("support")

OPEN = CaseState.OPEN.value


def plan_open_cases(uow_factory, *, batch: int = 200) -> dict[str, int]:
    """The rolling-horizon job: assign waiting cases, then book every open case's coming visits."""
    counts = {"assigned": 0, "booked": 0, "failed": 0}
    with uow_factory() as unit:
        ids = list(unit.session.scalars(select(SupportCase.id).where(SupportCase.status == OPEN)
                                        .order_by(SupportCase.opened_at, SupportCase.id)))
    for case_id in ids:
        try:
            with uow_factory() as unit:
                case = repository.load_case(unit.session, case_id, lock=True)
                if case.status != OPEN:
                    continue
                if case.contact_person_id is None:
                    counts["assigned"] += cases.assign_team(unit, case)
                else:
                    counts["booked"] += len(appointments.book_horizon(unit, case))
                unit.commit()
        except Exception as exc:  # a conflict on one case must not stop the run; retried next time
            counts["failed"] += 1
            log.warning("plan.case_failed", case_id=case_id, error=type(exc).__name__)
    return counts


def book_new_cases(uow_factory, *, batch: int = 200) -> int:
    """Book the rest of the horizon of cases that opened with their first visit only; returns the
    visits booked. The case's caseworkers are locked first, as a case opening in the consumer
    locks its team first; the case row only if nobody holds it."""
    with uow_factory() as unit:
        ids = list(unit.session.scalars(
            select(SupportCase.id)
            .where(SupportCase.horizon_booked_until.is_(None), SupportCase.status == OPEN,
                   SupportCase.contact_person_id.is_not(None))
            .order_by(SupportCase.opened_at).limit(batch)))
    booked = 0
    for case_id in ids:
        try:
            with uow_factory() as unit:
                booked += _book_rest_of_horizon(unit, case_id)
                unit.commit()
        except Exception as exc:  # retried on the next run; the hourly planner books it too
            log.warning("plan.case_failed", case_id=case_id, error=type(exc).__name__)
    return booked


def _book_rest_of_horizon(unit, case_id: str) -> int:
    locked = repository.lock_team(unit.session, case_id)
    # a case row locked by the consumer's batch is skipped, not waited for: that batch may be
    # waiting for the caseworkers locked above (the next run takes the case)
    case = unit.session.get(SupportCase, case_id, with_for_update={"skip_locked": True}, populate_existing=True)
    if case is None or case.status != OPEN or case.horizon_booked_until is not None:
        return 0  # locked, closed meanwhile, or another worker was first
    return len(appointments.book_horizon(unit, case, locked=locked))


def decide_crises(uow_factory) -> int:
    """Mark pending crisis deadlines met or breached; breaches are announced once."""
    decided = 0
    with uow_factory() as unit:
        pending = unit.session.scalars(select(Crisis).where(Crisis.status == CrisisState.PENDING.value)
                                       .with_for_update(skip_locked=True)).all()
        for crisis in pending:
            decided += crises.decide_pending(unit, crisis)
        unit.commit()
    return decided
