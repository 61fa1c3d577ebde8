"""Household-wide erasure, coordinated here (protocol: servicekit/privacy/erasure.py).

An Art. 17 request from the data protection officer and the retention job take the same path,
`request_erasure`: in one unit of work matching ends the household's participation, erases its own
data about it, records the request (with matching's own answer) and publishes
`matching.household.erasure_requested`; the other services answer with `<service>.household.erased`,
recorded by `record_answer`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from servicekit.db import UnitOfWork
from servicekit.privacy import ERASURE_REQUESTED, erase, forget_traces

from matching.domain.household import LOOKING
from matching.usecases.households import withdraw_household
from matching.models import ErasureAnswer, ErasureRequest, Household, Proposal

ANSWERING_SERVICES = ("contracts", "support", "notifications")
# What a proposal's snapshot keeps of the household: the make-up the flat was judged against.
SNAPSHOT_KEEPS = ("size", "adults", "children")


def pseudonymous_snapshot(snapshot: dict[str, Any]) -> dict[str, Any]:
    household = snapshot.get("household") or {}
    return {**snapshot, "household": {k: household[k] for k in SNAPSHOT_KEEPS if k in household}}


def existing_request(session: Session, household_id: str) -> ErasureRequest | None:
    return session.scalar(select(ErasureRequest).where(ErasureRequest.household_id == household_id))


def request_erasure(unit: UnitOfWork, household: Household, reason: str, note: str | None = None
                    ) -> tuple[ErasureRequest, bool]:
    """Erase the household here and ask the other services to do the same. Returns the request and
    whether it is new; a household already erased answers with its existing request. The caller
    holds the household's row lock, so two requests for one household cannot both create one."""
    found = existing_request(unit.session, household.id)
    if found is not None:
        return found, False
    now = unit.now()
    if household.status in LOOKING:
        # Open proposals are withdrawn and their flats go back on offer before the data goes.
        withdraw_household(unit, household, "erasure")
    proposals = list(unit.session.scalars(select(Proposal).where(Proposal.household_id == household.id)))
    erase(household)
    household.erased_at = now
    for proposal in proposals:
        erase(proposal)
        proposal.snapshot = pseudonymous_snapshot(proposal.snapshot)
    unit.session.flush()
    forget_traces(unit.session, household.id, [p.id for p in proposals])
    request = ErasureRequest(household_id=household.id, reason=reason, note=note, requested_at=now,
                             requested_by=unit.actor[:120])
    unit.session.add(request)
    unit.session.flush()
    unit.session.add(ErasureAnswer(request_id=request.id, service="matching", status="erased", answered_at=now))
    unit.audit("household", household.id, "erased", from_state=household.status, to_state=household.status,
               detail={"request_id": request.id, "reason": reason})
    unit.publish(ERASURE_REQUESTED, {"household_id": household.id, "request_id": request.id, "reason": reason})
    return request, True


def record_answer(session: Session, service: str, data: dict[str, Any], at) -> None:
    """A service's answer; idempotent, and an `erased` is never overwritten by a later `postponed`
    (a redelivered or reordered answer must not move the erasure backwards)."""
    request = session.get(ErasureRequest, str(data["request_id"])) or existing_request(session, str(data["household_id"]))
    if request is None:
        return  # not an erasure matching asked for: nothing to record
    answer = session.get(ErasureAnswer, (request.id, service), with_for_update=True)
    if answer is None:
        session.add(ErasureAnswer(request_id=request.id, service=service, status=data["status"],
                                  hold=data.get("hold"), answered_at=at))
    elif answer.status != "erased":
        answer.status, answer.hold, answer.answered_at = data["status"], data.get("hold"), at


def answers_of(session: Session, request: ErasureRequest) -> list[ErasureAnswer]:
    return list(session.scalars(select(ErasureAnswer).where(ErasureAnswer.request_id == request.id)
                                .order_by(ErasureAnswer.service)))


def state_of(answers: list[ErasureAnswer]) -> str:
    """`complete` once every service erased; `postponed` while one holds it back; else `pending`."""
    by_service = {a.service: a.status for a in answers}
    if all(by_service.get(s) == "erased" for s in ("matching", *ANSWERING_SERVICES)):
        return "complete"
    if "postponed" in by_service.values():
        return "postponed"
    return "pending"
