"""The transparent score of an eligible pair: four components in [0, 1], each times its weight.

- urgency: the household's urgency level (configured value per level);
- waiting_time: days since referral, full after `waiting_time_full_after_days`;
- district_preference: preferred district / no preference stated / other district;
- fit: 1 minus penalties for wasting what the household does not need (a wheelchair or
  barrier-free flat, rooms above the norm's minimum, area above the city's orientation area).

`household_part` (urgency + waiting) depends on the household alone; the engine computes it once
per household and adds the pair part, which is what makes scoring 10^7 pairs cheap.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from matching.domain.norms import size_lookup
from matching.domain.policy import Policy
from matching.domain.tables import FlatTable, HouseholdTable

COMPONENTS = ("urgency", "waiting_time", "district_preference", "fit")


def urgency_value(H: HouseholdTable, hi) -> np.ndarray:
    return H.urgency_value[hi]


def waiting_value(H: HouseholdTable, hi, policy: Policy, today: date) -> np.ndarray:
    days = today.toordinal() - H.referred_day[hi].astype(np.int64)
    return np.clip(days / policy.scoring.waiting_time_full_after_days, 0.0, 1.0)


def household_part(H: HouseholdTable, policy: Policy, today: date) -> np.ndarray:
    """Weighted urgency + waiting time of every household (independent of the flat)."""
    hi = np.arange(len(H))
    w = policy.weights
    return w.urgency * urgency_value(H, hi) + w.waiting_time * waiting_value(H, hi, policy, today)


def district_value(H: HouseholdTable, hi, F: FlatTable, fi, policy: Policy) -> np.ndarray:
    s = policy.scoring
    prefs = H.preferred_mask[hi]
    hit = ((prefs >> F.district[fi].astype(np.int32)) & 1) == 1
    return np.where(prefs == 0, s.district_no_preference, np.where(hit, s.district_preferred, s.district_not_preferred))


def fit_value(H: HouseholdTable, hi, F: FlatTable, fi, policy: Policy) -> np.ndarray:
    s = policy.scoring
    size = H.size[hi]
    wheelchair_wasted = F.wheelchair[fi] & ~H.needs_wheelchair[hi]
    needs_any = H.needs_wheelchair[hi] | H.needs_barrier_free[hi] | H.needs_ground_floor_or_lift[hi]
    barrier_free_wasted = F.barrier_free[fi] & ~F.wheelchair[fi] & ~needs_any
    extra_rooms = np.maximum(F.rooms[fi] - size_lookup(policy, size, "min_rooms"), 0.0)
    extra_area = np.maximum(F.area_m2[fi] - size_lookup(policy, size, "orientation_area_m2"), 0.0)
    penalty = (
        s.fit_penalty_wheelchair_flat_not_needed * wheelchair_wasted
        + s.fit_penalty_barrier_free_flat_not_needed * barrier_free_wasted
        + s.fit_penalty_per_room_above_minimum * extra_rooms
        + s.fit_penalty_per_m2_above_orientation * extra_area
    )
    return np.clip(1.0 - penalty, 0.0, 1.0)


def pair_part(H: HouseholdTable, hi, F: FlatTable, fi, policy: Policy) -> np.ndarray:
    w = policy.weights
    return w.district_preference * district_value(H, hi, F, fi, policy) + w.fit * fit_value(H, hi, F, fi, policy)


def scores(H: HouseholdTable, hi, F: FlatTable, fi, policy: Policy, today: date) -> np.ndarray:
    hi = np.asarray(hi, dtype=np.int64)
    fi = np.asarray(fi, dtype=np.int64)
    w = policy.weights
    return (
        w.urgency * urgency_value(H, hi)
        + w.waiting_time * waiting_value(H, hi, policy, today)
        + pair_part(H, hi, F, fi, policy)
    )


@dataclass(frozen=True)
class Component:
    name: str
    value: float  # in [0, 1]
    weight: float
    points: float


@dataclass(frozen=True)
class Breakdown:
    total: float
    components: tuple[Component, ...]

    def as_dict(self) -> dict:
        return {
            "total": round(self.total, 4),
            "components": [
                {"name": c.name, "value": round(c.value, 4), "weight": c.weight, "points": round(c.points, 4)}
                for c in self.components
            ],
        }


def breakdown(H: HouseholdTable, h: int, F: FlatTable, f: int, policy: Policy, today: date) -> Breakdown:
    hi, fi = np.array([h]), np.array([f])
    values = {
        "urgency": float(urgency_value(H, hi)[0]),
        "waiting_time": float(waiting_value(H, hi, policy, today)[0]),
        "district_preference": float(district_value(H, hi, F, fi, policy)[0]),
        "fit": float(fit_value(H, hi, F, fi, policy)[0]),
    }
    weights = {
        "urgency": policy.weights.urgency,
        "waiting_time": policy.weights.waiting_time,
        "district_preference": policy.weights.district_preference,
        "fit": policy.weights.fit,
    }
    comps = tuple(Component(n, values[n], weights[n], values[n] * weights[n]) for n in COMPONENTS)
    return Breakdown(total=sum(c.points for c in comps), components=comps)
