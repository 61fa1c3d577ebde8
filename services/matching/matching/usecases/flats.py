"""Use cases of the flat: offer, correct, withdraw, and which waiting households it suits."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from servicekit.db import UnitOfWork
from servicekit.errors import RuleViolation

from matching.domain import explain
from matching.domain.flat import FlatState
from matching.domain.household import HouseholdState
from matching.domain.policy import Policy
from matching.domain.proposal import ProposalState
from matching.domain.tables import FlatTable, HouseholdTable
from matching.models import Flat, Household, RegisteredCompany
from matching.usecases.common import audit_move, filtered, open_proposals, to_domain_flat, to_domain_household
from matching.usecases.explanations import verdicts_out


def listing(filters: dict[str, Any]) -> Select:
    """Flats in the order they were offered, by `status`."""
    return filtered(select(Flat).order_by(Flat.offered_at, Flat.id), Flat, filters, ("status",))


def offer_flat(unit: UnitOfWork, data: dict[str, Any], company_id: str) -> Flat:
    data = {k: v for k, v in data.items() if k != "company_id"}
    if unit.session.get(RegisteredCompany, str(company_id).lower()) is None:
        # Only companies contracts registered offer flats (contracts.company.registered); a flat of an
        # id nobody registered would be an object for a company that does not exist (issue 23).
        raise RuleViolation("flat.company_not_registered",
                            "No housing company with this id is registered (yet: registration reaches matching "
                            "a moment after contracts answered).", field="company_id")
    flat = Flat.offer(data, company_id, unit.now())
    unit.session.add(flat)
    unit.session.flush()
    unit.publish_recorded(flat)
    unit.audit("flat", flat.id, "offered", to_state=flat.status)
    return flat


def update_flat(unit: UnitOfWork, flat: Flat, changes: dict[str, Any]) -> None:
    before = flat.change(changes)
    unit.audit("flat", flat.id, "updated", from_state=flat.status, to_state=flat.status,
               detail={k: str(v) for k, v in before.items()})


def withdraw_flat(unit: UnitOfWork, flat: Flat, reason: str) -> None:
    """Withdraw the flat; its open proposal is withdrawn and the household waits again."""
    now = unit.now()
    for p in open_proposals(unit.session, flat_id=flat.id):
        audit_move(unit, p, p.close(ProposalState.WITHDRAWN, now), "withdrawn", {"reason": "flat withdrawn"})
        household = unit.session.get(Household, p.household_id)
        audit_move(unit, household, household.move_to(HouseholdState.WAITING, now), "proposal_withdrawn")
    audit_move(unit, flat, flat.move_to(FlatState.WITHDRAWN), "withdrawn", {"reason": reason})
    unit.publish_recorded(flat)


def why_not_flat(session: Session, policy: Policy, flat: Flat, today: date) -> dict:
    households = list(session.scalars(
        select(Household).where(Household.status == HouseholdState.WAITING.value).order_by(Household.id)))
    H = HouseholdTable.build([to_domain_household(h) for h in households], policy)
    F = FlatTable.build([to_domain_flat(flat)], policy)
    return verdicts_out(explain.for_flat(H, F, 0, policy, today))
