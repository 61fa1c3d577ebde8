from __future__ import annotations

from datetime import date, timedelta

from matching.config import default_policy
from matching.domain.model import Flat, Household, Needs
from matching.domain.tables import FlatTable, HouseholdTable

TODAY = date(2026, 3, 2)
POLICY = default_policy()


def flat(**kw) -> Flat:
    base = dict(
        id="f1", district="Mitte", rooms=1.0, area_m2=40.0, floor=0, lift=False, barrier_free=False,
        wheelchair_accessible=False, cold_rent_cents=50_000, available_from=TODAY, pets_allowed=False,
    )
    base.update(kw)
    return Flat(**base)


def household(**kw) -> Household:
    base = dict(id="h1", adults=1, children=0, urgency="threatened_homelessness", referred_on=TODAY - timedelta(days=100))
    base.update(kw)
    return Household(**base)


def tables(households, flats, policy=POLICY):
    return HouseholdTable.build(households, policy), FlatTable.build(flats, policy)


__all__ = ["Needs", "TODAY", "POLICY", "flat", "household", "tables"]
