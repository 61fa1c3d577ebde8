"""Use cases of the household: referral, rent-limit override, withdrawal, leaving the program, and
which flats on offer it is eligible for."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from servicekit.db import UnitOfWork
from servicekit.errors import StateConflict

from matching.domain import explain
from matching.domain.flat import FlatState
from matching.domain.policy import Policy
from matching.domain.proposal import ProposalState
from matching.domain.tables import FlatTable, HouseholdTable
from matching.models import Flat, Household
from matching.usecases.common import audit_move, filtered, open_proposals, to_domain_flat, to_domain_household
from matching.usecases.explanations import verdicts_out


def listing(filters: dict[str, Any]) -> Select:
    """Referred households, oldest referral first, by `status`, `needs_review` or `referral_no`."""
    stmt = select(Household).order_by(Household.referred_at, Household.id)
    return filtered(stmt, Household, filters, ("status", "needs_review", "referral_no"))


def refer_household(unit: UnitOfWork, data: dict[str, Any]) -> Household:
    if unit.session.scalar(select(Household.id).where(Household.referral_no == data["referral_no"])):
        raise StateConflict("household.already_referred", "A household with this referral number is already registered.")
    household = Household.refer(data, unit.now())
    unit.session.add(household)
    unit.session.flush()
    unit.publish_recorded(household)
    unit.audit("household", household.id, "referred", to_state=household.status)
    return household


def set_rent_limit_override(unit: UnitOfWork, household: Household, cents: int | None, reason: str) -> None:
    before = household.override_rent_limit(cents, reason)
    # The reason is free text about the household: it stays in its encrypted column, not in the trail.
    unit.audit("household", household.id, "rent_limit_override", from_state=household.status,
               to_state=household.status, detail={"from_cents": before, "to_cents": cents})


def withdraw_household(unit: UnitOfWork, household: Household, reason: str) -> None:
    """Withdraw the referral; an open proposal is withdrawn and its flat goes back on offer."""
    household.ensure_not_erased()
    now = unit.now()
    for p in open_proposals(unit.session, household_id=household.id):
        audit_move(unit, p, p.close(ProposalState.WITHDRAWN, now), "withdrawn", {"reason": "household withdrawn"})
        flat = unit.session.get(Flat, p.flat_id)
        audit_move(unit, flat, flat.move_to(FlatState.OFFERED), "reoffered")
        unit.publish_recorded(flat)
    audit_move(unit, household, household.withdraw(reason, now), "withdrawn")


def leave_program(unit: UnitOfWork, household_id: str, reason: str | None) -> None:
    """The household's tenancy or guarantee ended (contracts): it leaves the program's books here."""
    household = unit.session.get(Household, household_id)
    if household is None:
        return
    # Why a tenancy ended (e.g. an eviction) is social data: not kept once the household is erased.
    detail = None if household.erased_at else {"reason": reason}
    audit_move(unit, household, household.leave_program(unit.now()), "left_program", detail)


def why_not_household(session: Session, policy: Policy, household: Household, today: date) -> dict:
    household.ensure_not_erased()
    flats = list(session.scalars(select(Flat).where(Flat.status == FlatState.OFFERED.value).order_by(Flat.id)))
    H = HouseholdTable.build([to_domain_household(household)], policy)
    F = FlatTable.build([to_domain_flat(f) for f in flats], policy)
    return verdicts_out(explain.for_household(H, 0, F, policy, today))
