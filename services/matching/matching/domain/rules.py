"""Eligibility rules: hard constraints a (household, flat) pair must pass to be proposed.

Each rule is one vectorised predicate over pairs given as index arrays into a `HouseholdTable`
and a `FlatTable`, so the same code answers "is this one pair eligible, and why not?" and feeds
the candidate generation of a run (tests check both give the same set). `explain_pair` turns the
predicates into human-readable reasons with the numbers that decided them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Callable

import numpy as np

from matching.domain.norms import size_lookup
from matching.domain.policy import Policy
from matching.domain.tables import FlatTable, HouseholdTable

RULES = ("rent", "rooms", "living_area", "accessibility", "available_date", "pets", "excluded_district")


@dataclass(frozen=True)
class RuleResult:
    rule: str
    passed: bool
    reason: str


def rent_ok(H: HouseholdTable, hi, F: FlatTable, fi) -> np.ndarray:
    # Stuttgart's limit is on the cold rent (Kaltmiete); service charges and heating are judged apart.
    return F.cold_rent_cents[fi] <= H.rent_limit_cents[hi]


def rooms_ok(H, hi, F, fi, policy: Policy) -> np.ndarray:
    size = H.size[hi]
    rooms = F.rooms[fi]
    return (rooms >= size_lookup(policy, size, "min_rooms")) & (rooms <= size_lookup(policy, size, "max_rooms"))


def area_ok(H, hi, F, fi, policy: Policy) -> np.ndarray:
    return F.area_m2[fi] >= size_lookup(policy, H.size[hi], "min_area_m2")


def accessibility_ok(H, hi, F, fi) -> np.ndarray:
    wheelchair = ~H.needs_wheelchair[hi] | F.wheelchair[fi]
    # A wheelchair-accessible flat is barrier-free by definition (DIN 18040-2 R is the stricter level).
    barrier_free = ~H.needs_barrier_free[hi] | F.barrier_free[fi] | F.wheelchair[fi]
    step_free = ~H.needs_ground_floor_or_lift[hi] | (F.floor[fi] == 0) | F.lift[fi]
    return wheelchair & barrier_free & step_free


def available_ok(F, fi, policy: Policy, today: date) -> np.ndarray:
    return F.available_day[fi] <= today.toordinal() + policy.horizon_days


def pets_ok(H, hi, F, fi) -> np.ndarray:
    return ~H.has_pets[hi] | F.pets_allowed[fi]


def district_ok(H, hi, F, fi) -> np.ndarray:
    return ((H.excluded_mask[hi] >> F.district[fi].astype(np.int32)) & 1) == 0


def rule_masks(H: HouseholdTable, hi, F: FlatTable, fi, policy: Policy, today: date) -> dict[str, np.ndarray]:
    hi = np.asarray(hi, dtype=np.int64)
    fi = np.asarray(fi, dtype=np.int64)
    return {
        "rent": rent_ok(H, hi, F, fi),
        "rooms": rooms_ok(H, hi, F, fi, policy),
        "living_area": area_ok(H, hi, F, fi, policy),
        "accessibility": accessibility_ok(H, hi, F, fi),
        "available_date": available_ok(F, fi, policy, today),
        "pets": pets_ok(H, hi, F, fi),
        "excluded_district": district_ok(H, hi, F, fi),
    }


def eligible(H, hi, F, fi, policy: Policy, today: date) -> np.ndarray:
    masks = rule_masks(H, hi, F, fi, policy, today)
    out = np.ones(len(np.atleast_1d(hi)), dtype=bool)
    for mask in masks.values():
        out &= mask
    return out


def _eur(cents: int) -> str:
    return f"{cents / 100:.2f} EUR"


def _num(x: float) -> str:
    return f"{x:g}"


def explain_pair(H: HouseholdTable, h: int, F: FlatTable, f: int, policy: Policy, today: date) -> list[RuleResult]:
    """Every rule for one pair, in a fixed order, with the reason it passed or failed."""
    masks = rule_masks(H, [h], F, [f], policy, today)
    size = int(H.size[h])
    row = policy.sizes.row(size)
    rent, limit = int(F.cold_rent_cents[f]), int(H.rent_limit_cents[h])
    rooms, area = float(F.rooms[f]), float(F.area_m2[f])
    available = date.fromordinal(int(F.available_day[f]))
    horizon = today + timedelta(days=policy.horizon_days)
    district = policy.districts[int(F.district[f])]

    def access_reason(passed: bool) -> str:
        if passed:
            return "accessibility needs met"
        missing = []
        if H.needs_wheelchair[h] and not F.wheelchair[f]:
            missing.append("household needs a wheelchair-accessible flat")
        if H.needs_barrier_free[h] and not (F.barrier_free[f] or F.wheelchair[f]):
            missing.append("household needs a barrier-free flat")
        if H.needs_ground_floor_or_lift[h] and not (F.floor[f] == 0 or F.lift[f]):
            missing.append(f"household needs ground floor or a lift; flat is on floor {int(F.floor[f])} without lift")
        return "; ".join(missing)

    reasons: dict[str, Callable[[bool], str]] = {
        "rent": lambda ok: (
            f"cold rent {_eur(rent)} {'within' if ok else 'above'} the household's limit of {_eur(limit)}"
        ),
        "rooms": lambda ok: (
            f"{_num(rooms)} rooms {'within' if ok else 'outside'} the norm of {_num(row.min_rooms)}–{_num(row.max_rooms)}"
            f" rooms for {size} person(s)"
        ),
        "living_area": lambda ok: (
            f"{_num(area)} m² {'meets' if ok else 'is below'} the minimum of {_num(row.min_area_m2)} m² for {size} person(s)"
        ),
        "accessibility": access_reason,
        "available_date": lambda ok: (
            f"available from {available.isoformat()}, {'within' if ok else 'after'} the horizon {horizon.isoformat()}"
        ),
        "pets": lambda ok: (
            "no pets or pets allowed" if ok else "household keeps pets; the flat does not allow pets"
        ),
        "excluded_district": lambda ok: (
            f"district {district} {'not excluded' if ok else 'excluded by the household'}"
        ),
    }
    return [RuleResult(rule, bool(masks[rule][0]), reasons[rule](bool(masks[rule][0]))) for rule in RULES]
