"""What the engine needs to know about a flat and a household (no ORM, no I/O).

The service builds these from its tables; the benchmark generates them. Both then go through
`tables.FlatTable.build` / `HouseholdTable.build` and the same engine functions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class Needs:
    barrier_free: bool = False
    wheelchair: bool = False
    ground_floor_or_lift: bool = False


@dataclass(frozen=True)
class Flat:
    id: str
    district: str
    rooms: float
    area_m2: float
    floor: int
    lift: bool
    barrier_free: bool
    wheelchair_accessible: bool
    cold_rent_cents: int
    available_from: date
    pets_allowed: bool


@dataclass(frozen=True)
class Household:
    id: str
    adults: int
    children: int
    urgency: str
    referred_on: date
    needs: Needs = Needs()
    has_pets: bool = False
    preferred_districts: frozenset[str] = field(default_factory=frozenset)
    excluded_districts: frozenset[str] = field(default_factory=frozenset)
    rent_limit_override_cents: int | None = None

    @property
    def size(self) -> int:
        return self.adults + self.children
