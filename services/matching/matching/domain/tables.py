"""Columnar (NumPy) form of flats and households: the engine's only input format.

Districts become bit masks (23 districts fit an int32), dates become day ordinals, the household's
rent limit is resolved once (override or the city's table), so the vectorised rules are plain
array comparisons.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Sequence

import numpy as np

from matching.domain.model import Flat, Household
from matching.domain.policy import Policy


def district_mask(names, policy: Policy) -> int:
    mask = 0
    for name in names:
        mask |= 1 << policy.district_index(name)
    return mask


@dataclass(frozen=True)
class FlatTable:
    ids: np.ndarray  # object (str)
    district: np.ndarray  # int8 index into policy.districts
    rooms: np.ndarray  # float64
    area_m2: np.ndarray  # float64
    floor: np.ndarray  # int16
    lift: np.ndarray  # bool
    barrier_free: np.ndarray
    wheelchair: np.ndarray
    cold_rent_cents: np.ndarray  # int64
    available_day: np.ndarray  # int32 (date.toordinal)
    pets_allowed: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def build(cls, flats: Sequence[Flat], policy: Policy) -> "FlatTable":
        return cls(
            ids=np.array([f.id for f in flats], dtype=object),
            district=np.array([policy.district_index(f.district) for f in flats], dtype=np.int8),
            rooms=np.array([f.rooms for f in flats], dtype=np.float64),
            area_m2=np.array([f.area_m2 for f in flats], dtype=np.float64),
            floor=np.array([f.floor for f in flats], dtype=np.int16),
            lift=np.array([f.lift for f in flats], dtype=bool),
            barrier_free=np.array([f.barrier_free for f in flats], dtype=bool),
            wheelchair=np.array([f.wheelchair_accessible for f in flats], dtype=bool),
            cold_rent_cents=np.array([f.cold_rent_cents for f in flats], dtype=np.int64),
            available_day=np.array([f.available_from.toordinal() for f in flats], dtype=np.int32),
            pets_allowed=np.array([f.pets_allowed for f in flats], dtype=bool),
        )


@dataclass(frozen=True)
class HouseholdTable:
    ids: np.ndarray
    size: np.ndarray  # int16
    rent_limit_cents: np.ndarray  # int64, override already applied
    needs_barrier_free: np.ndarray
    needs_wheelchair: np.ndarray
    needs_ground_floor_or_lift: np.ndarray
    has_pets: np.ndarray
    urgency_value: np.ndarray  # float64 in [0, 1]
    referred_day: np.ndarray  # int32
    preferred_mask: np.ndarray  # int32 bit set of district indices
    excluded_mask: np.ndarray  # int32

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def build(cls, households: Sequence[Household], policy: Policy) -> "HouseholdTable":
        return cls(
            ids=np.array([h.id for h in households], dtype=object),
            size=np.array([h.size for h in households], dtype=np.int16),
            rent_limit_cents=np.array([rent_limit_cents(h, policy) for h in households], dtype=np.int64),
            needs_barrier_free=np.array([h.needs.barrier_free for h in households], dtype=bool),
            needs_wheelchair=np.array([h.needs.wheelchair for h in households], dtype=bool),
            needs_ground_floor_or_lift=np.array([h.needs.ground_floor_or_lift for h in households], dtype=bool),
            has_pets=np.array([h.has_pets for h in households], dtype=bool),
            urgency_value=np.array([policy.urgency(h.urgency).value for h in households], dtype=np.float64),
            referred_day=np.array([h.referred_on.toordinal() for h in households], dtype=np.int32),
            preferred_mask=np.array([district_mask(h.preferred_districts, policy) for h in households], dtype=np.int32),
            excluded_mask=np.array([district_mask(h.excluded_districts, policy) for h in households], dtype=np.int32),
        )


def rent_limit_cents(household: Household, policy: Policy) -> int:
    """The household's cold-rent limit: its override when staff set one, else the city's table."""
    if household.rent_limit_override_cents is not None:
        return household.rent_limit_override_cents
    return policy.sizes.rent_limit_cents(household.size)


def day(d: date) -> int:
    return d.toordinal()
