"""Kinds of loss and the caps that limit what the city pays per contract.

A cap may cover several kinds: Stuttgart's guarantee subsidy of up to 10,000 EUR per contract
covers damage during the tenancy *and* renovation at move-out from one pot, so those two kinds
share one cap. Every kind belongs to at most one cap; a kind in no cap is not covered.

The caps in force are copied onto each contract when it is created (`Coverage.to_dict` is what
the contract row stores), so later configuration changes never alter existing contracts.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


class LossKind(enum.StrEnum):
    RENT_ARREARS = "rent_arrears"  # cold rent + service charges not paid by the household
    DAMAGE_REPAIRS = "damage_repairs"  # damage caused during the tenancy
    RENOVATION_MOVE_OUT = "renovation_move_out"  # renovation owed when the tenancy ends
    LEGAL_EVICTION = "legal_eviction"  # court, lawyer and bailiff costs of an eviction


@dataclass(frozen=True)
class Cap:
    name: str
    kinds: frozenset[LossKind]
    cap_cents: int

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a cap needs a name")
        if not self.kinds:
            raise ValueError(f"cap {self.name!r} covers no kind")
        if isinstance(self.cap_cents, bool) or not isinstance(self.cap_cents, int) or self.cap_cents < 0:
            raise ValueError(f"cap {self.name!r}: cap_cents must be a non-negative integer")


@dataclass(frozen=True)
class Coverage:
    caps: tuple[Cap, ...]

    def __post_init__(self) -> None:
        seen: dict[LossKind, str] = {}
        names: set[str] = set()
        for cap in self.caps:
            if cap.name in names:
                raise ValueError(f"duplicate cap name {cap.name!r}")
            names.add(cap.name)
            for kind in cap.kinds:
                if kind in seen:
                    raise ValueError(f"kind {kind} is in caps {seen[kind]!r} and {cap.name!r}")
                seen[kind] = cap.name

    def cap_for(self, kind: LossKind) -> Cap | None:
        for cap in self.caps:
            if kind in cap.kinds:
                return cap
        return None

    @property
    def total_cents(self) -> int:
        return sum(cap.cap_cents for cap in self.caps)

    def to_dict(self) -> dict[str, Any]:
        return {
            "caps": [
                {"name": c.name, "kinds": sorted(k.value for k in c.kinds), "cap_cents": c.cap_cents}
                for c in self.caps
            ]
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Coverage:
        """Read caps from configuration or from a stored contract (unknown keys are ignored)."""
        return cls.of(data["caps"])

    @classmethod
    def of(cls, caps: Iterable[Mapping[str, Any]]) -> Coverage:
        return cls(
            tuple(
                Cap(str(c["name"]), frozenset(LossKind(k) for k in c["kinds"]), c["cap_cents"])
                for c in caps
            )
        )
