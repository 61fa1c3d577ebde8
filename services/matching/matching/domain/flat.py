"""The flat a housing company offers.

    offered ──proposed──▶ reserved ──lease signed──▶ let
       ▲ │                  │ │
       │ └──withdrawn◀──────┘ └──declined, expired, withdrawn proposal──▶ offered

A flat enters `offered` and `withdrawn` in public (`matching.flat.offered` / `.withdrawn`).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from servicekit.errors import RuleViolation, StateConflict

from matching.domain.lifecycle import Lifecycle, new_id


class FlatState(enum.StrEnum):
    OFFERED = "offered"
    RESERVED = "reserved"
    LET = "let"
    WITHDRAWN = "withdrawn"


TRANSITIONS = {
    FlatState.OFFERED: frozenset({FlatState.RESERVED, FlatState.WITHDRAWN}),
    FlatState.RESERVED: frozenset({FlatState.OFFERED, FlatState.LET, FlatState.WITHDRAWN}),
    FlatState.LET: frozenset(),
    FlatState.WITHDRAWN: frozenset(),
}
ANNOUNCED = frozenset({FlatState.OFFERED, FlatState.WITHDRAWN})  # states other services hear of


def check_step_free(wheelchair_accessible: bool, floor: int, lift: bool) -> None:
    if wheelchair_accessible and not (floor == 0 or lift):
        raise RuleViolation("flat.wheelchair_needs_step_free_access",
                            "a wheelchair-accessible flat needs the ground floor or a lift", field="wheelchair_accessible")


class FlatRules(Lifecycle):
    ENTITY = "flat"
    TRANSITIONS = TRANSITIONS

    @classmethod
    def offer(cls, data: dict[str, Any], company_id: str, at: datetime):
        check_step_free(data["wheelchair_accessible"], data["floor"], data["lift"])
        flat = cls(**data, id=new_id(), company_id=company_id, status=FlatState.OFFERED.value, offered_at=at)
        flat._step_free_is_barrier_free()
        flat.record("matching.flat.offered", flat.announcement())
        return flat

    @property
    def gross_rent_cents(self) -> int:
        return self.cold_rent_cents + self.service_charges_cents + self.heating_cents

    def change(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Correct the flat while on offer; returns the values it replaced."""
        if self.status != FlatState.OFFERED:
            raise StateConflict("flat.not_on_offer", f"The flat is {self.status}; only a flat on offer can be changed.")
        merged = {"wheelchair_accessible": self.wheelchair_accessible, "floor": self.floor, "lift": self.lift, **changes}
        check_step_free(merged["wheelchair_accessible"], merged["floor"], merged["lift"])
        before = {k: getattr(self, k) for k in changes if getattr(self, k) != changes[k]}
        for key, value in changes.items():
            setattr(self, key, value)
        self._step_free_is_barrier_free()
        return before

    def ensure_on_offer(self) -> None:
        if self.status != FlatState.OFFERED:
            raise StateConflict("flat.not_on_offer", f"The flat is {self.status}, not on offer.")

    def move_to(self, new: FlatState) -> str:
        old = super().move_to(new)
        if new in ANNOUNCED:
            self.record(f"matching.flat.{new}", self.announcement())
        return old

    def announcement(self) -> dict[str, Any]:
        return {"flat_id": self.id, "company_id": self.company_id, "district": self.district, "rooms": self.rooms,
                "gross_rent_cents": self.gross_rent_cents, "cold_rent_cents": self.cold_rent_cents}

    def _step_free_is_barrier_free(self) -> None:
        if self.wheelchair_accessible:
            self.barrier_free = True
