"""Erasure of a household's personal data in support, on request and by retention.

What stays of an erased case is what the program's statistics need and nothing that names the
household: ids, dates, states, the caseworker assignment, the household size and the coded
outcome; appointments keep kind, times and status; crises keep trigger, deadline and whether it
was met. Name, email, phone, address and every free text (close reason, cancel reasons, outcome
notes, the audit details that repeated them) go, and so do the published events that carried
them (`forget_traces`).

An open case is closed first with outcome `erased`: its future appointments are cancelled and
`support.case.closed` / `support.appointment.cancelled` are published as on any closing, so
notifications and calendars drop them; there is nobody left to support under this case.

On request (`matching.household.erasure_requested`) every case of the household is erased in the
consumer's one transaction, and `support.household.erased` answers the request. Support holds no
record with a statutory hold (no claims, no money), so the answer is always `erased`. A repeated
request is answered again without changing anything. The retention job erases one case at a time,
`RETENTION_CASE_CLOSED_DAYS` (default 1095, three years) after it closed; it answers nobody and
publishes nothing, since the household may still have another, newer case here.
"""

from __future__ import annotations

from datetime import datetime

import structlog
from sqlalchemy import select

from servicekit.bus import Event
from servicekit.db import UnitOfWork
from servicekit.privacy import erase, erased_event, forget_traces

from support import repository
from support.domain.lifecycle import CaseState, CloseOutcome
from support.models import Appointment, Crisis, SupportCase
from support.schemas import ErasureRequestEvent
from support.usecases import cases

log = structlog.get_logger("support.erasure")

ERASED = erased_event("support")
DEFAULT_CASE_CLOSED_DAYS = 1095


def erase_case(uow: UnitOfWork, case: SupportCase, *, why: str) -> None:
    """Close (if open) and erase one case with its appointments and crises; safe to repeat."""
    session = uow.session
    first_time = case.erased_at is None
    if case.status == CaseState.OPEN.value:
        cases.close_case(uow, case, CloseOutcome.ERASED, None)
    appointments = session.scalars(select(Appointment).where(Appointment.case_id == case.id)).all()
    crises = session.scalars(select(Crisis).where(Crisis.case_id == case.id)).all()
    for row in (case, *appointments, *crises):
        erase(row)
    if first_time:
        case.erased_at = uow.now()
    session.flush()
    forget_traces(session, case.household_id, [case.id, *(a.id for a in appointments), *(c.id for c in crises)])
    if first_time:  # after forget_traces: this entry itself says only why
        uow.audit("case", case.id, "erased", detail={"why": why})


def household_erasure_requested(uow: UnitOfWork, event: Event) -> None:
    """Erase everything support holds about the household and answer the request."""
    data = ErasureRequestEvent().load(event.data)
    household_id = data["household_id"]
    cases = uow.session.scalars(
        select(SupportCase).where(SupportCase.household_id == household_id).order_by(SupportCase.id).with_for_update()
    ).all()
    for case in cases:
        erase_case(uow, case, why=data["reason"] or "request")
    uow.publish(ERASED, {"household_id": household_id, "request_id": data["request_id"], "status": "erased", "hold": None})


def closed_cases_due(uow: UnitOfWork, cutoff: datetime, limit: int) -> list[str]:
    return list(uow.session.scalars(
        select(SupportCase.id)
        .where(SupportCase.status == CaseState.CLOSED.value, SupportCase.closed_at < cutoff, SupportCase.erased_at.is_(None))
        .order_by(SupportCase.closed_at, SupportCase.id).limit(limit)
    ))


def erase_expired_cases(uow_factory, cutoff: datetime, *, batch: int = 500) -> dict[str, int]:
    """Erase up to `batch` cases closed before `cutoff` (the next run takes the rest), one
    transaction per case, so one failing case does not hold back the others."""
    counts = {"erased": 0, "failed": 0}
    with uow_factory() as unit:
        due = closed_cases_due(unit, cutoff, batch)
    for case_id in due:
        try:
            with uow_factory() as unit:
                case = repository.load_case(unit.session, case_id, lock=True)
                if case.erased_at is None:
                    erase_case(unit, case, why="retention")
                    counts["erased"] += 1
                unit.commit()
        except Exception as exc:  # retried on the next run
            counts["failed"] += 1
            log.warning("retention.case_failed", case_id=case_id, error=type(exc).__name__)
    return counts
