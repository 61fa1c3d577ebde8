"""What several use cases share: the engine's view of a row, what a proposal shows of a household,
the audit entry of a state change, and the open proposals of a flat or household."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from servicekit.clock import berlin_date
from servicekit.db import UnitOfWork

from matching.domain import model as dm
from matching.domain.policy import Policy
from matching.domain.lifecycle import values
from matching.domain.proposal import OPEN
from matching.domain.tables import rent_limit_cents
from matching.models import Flat, Household, Proposal


def to_domain_household(h: Household) -> dm.Household:
    return dm.Household(
        id=h.id, adults=h.adults, children=h.children, urgency=h.urgency, referred_on=berlin_date(h.referred_at),
        needs=dm.Needs(h.needs_barrier_free, h.needs_wheelchair, h.needs_ground_floor_or_lift),
        has_pets=h.has_pets, preferred_districts=frozenset(h.preferred_districts or ()),
        excluded_districts=frozenset(h.excluded_districts or ()), rent_limit_override_cents=h.rent_limit_override_cents,
    )


def to_domain_flat(f: Flat) -> dm.Flat:
    return dm.Flat(
        id=f.id, district=f.district, rooms=f.rooms, area_m2=f.area_m2, floor=f.floor, lift=f.lift,
        barrier_free=f.barrier_free, wheelchair_accessible=f.wheelchair_accessible,
        cold_rent_cents=f.cold_rent_cents, available_from=f.available_from, pets_allowed=f.pets_allowed,
    )


def household_limit(h: Household, policy: Policy) -> int:
    return rent_limit_cents(to_domain_household(h), policy)


def household_profile(h: Household) -> dict[str, Any]:
    """What a company may see before it accepted: no name, no contact, no referral number."""
    return {
        "size": h.size, "adults": h.adults, "children": h.children,
        "needs": {"barrier_free": h.needs_barrier_free, "wheelchair": h.needs_wheelchair,
                  "ground_floor_or_lift": h.needs_ground_floor_or_lift},
        "has_pets": h.has_pets,
    }


def household_contact(h: Household) -> dict[str, Any]:
    return {"name": h.name, "email": h.email, "phone": h.phone, "size": h.size}


def flat_data(f: Flat) -> dict[str, Any]:
    return {
        "flat_id": f.id, "company_id": f.company_id, "unit_ref": f.unit_ref, "street": f.street,
        "postal_code": f.postal_code, "city": f.city, "district": f.district, "rooms": f.rooms,
        "area_m2": f.area_m2, "floor": f.floor, "lift": f.lift, "barrier_free": f.barrier_free,
        "wheelchair_accessible": f.wheelchair_accessible, "cold_rent_cents": f.cold_rent_cents,
        "service_charges_cents": f.service_charges_cents, "heating_cents": f.heating_cents,
        "available_from": f.available_from.isoformat(), "pets_allowed": f.pets_allowed,
    }


def audit_move(unit: UnitOfWork, aggregate: Any, old: str | None, action: str, detail: dict | None = None) -> None:
    """The trail entry of a state change the aggregate made (`old`: the state it left; None: no change)."""
    if old is not None:
        unit.audit(aggregate.ENTITY, aggregate.id, action, from_state=old, to_state=aggregate.status, detail=detail)


def filtered(stmt: Select, model: Any, filters: dict[str, Any], columns: tuple[str, ...]) -> Select:
    """A listing narrowed to the `columns` the query names (each compared for equality)."""
    for column in columns:
        if column in filters:
            stmt = stmt.where(getattr(model, column) == filters[column])
    return stmt


def open_proposals(session: Session, **where: str) -> list[Proposal]:
    stmt = select(Proposal).where(Proposal.status.in_(values(OPEN)))
    for column, value in where.items():
        stmt = stmt.where(getattr(Proposal, column) == value)
    return list(session.scalars(stmt.with_for_update()))
