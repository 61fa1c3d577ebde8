"""The matching policy: every number the engine uses, parsed from configuration data.

Nothing here reads files; `matching.config.load_policy()` does that. A `Policy` is immutable and
can be turned back into plain data (`as_dict`) so a proposal can keep a snapshot of the policy in
force when it was made.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Mapping

from servicekit.config import ConfigError


class PolicyError(ConfigError):
    """The configuration data is inconsistent (raised at start-up, never per request)."""


@dataclass(frozen=True)
class SizeRow:
    persons: int
    max_cold_rent_cents: int
    orientation_area_m2: float
    min_rooms: float
    max_rooms: float
    min_area_m2: float


@dataclass(frozen=True)
class SizeTable:
    """Rent limit and space norm by household size; sizes beyond the table extend linearly."""

    rows: tuple[SizeRow, ...]
    further: SizeRow  # increments per person beyond the last row (persons field unused)

    def row(self, persons: int) -> SizeRow:
        if persons < 1:
            raise ValueError("a household has at least one person")
        last = self.rows[-1]
        if persons <= last.persons:
            return self.rows[persons - 1]
        extra = persons - last.persons
        f = self.further
        return SizeRow(
            persons=persons,
            max_cold_rent_cents=last.max_cold_rent_cents + extra * f.max_cold_rent_cents,
            orientation_area_m2=last.orientation_area_m2 + extra * f.orientation_area_m2,
            min_rooms=last.min_rooms + extra * f.min_rooms,
            max_rooms=last.max_rooms + extra * f.max_rooms,
            min_area_m2=last.min_area_m2 + extra * f.min_area_m2,
        )

    def rent_limit_cents(self, persons: int) -> int:
        return self.row(persons).max_cold_rent_cents


@dataclass(frozen=True)
class Weights:
    urgency: float
    waiting_time: float
    district_preference: float
    fit: float

    @property
    def maximum(self) -> float:
        return self.urgency + self.waiting_time + self.district_preference + self.fit


@dataclass(frozen=True)
class Scoring:
    waiting_time_full_after_days: int
    district_preferred: float
    district_no_preference: float
    district_not_preferred: float
    fit_penalty_wheelchair_flat_not_needed: float
    fit_penalty_barrier_free_flat_not_needed: float
    fit_penalty_per_room_above_minimum: float
    fit_penalty_per_m2_above_orientation: float


@dataclass(frozen=True)
class UrgencyLevel:
    key: str
    label_de: str
    value: float


@dataclass(frozen=True)
class DeclineReason:
    key: str
    label_de: str
    flat: str  # reoffer | withdraw
    household: str  # wait | review | withdraw
    counts: bool


@dataclass(frozen=True)
class Assignment:
    candidates_per_list: int
    time_budget_s: float | None = None


FLAT_EFFECTS = ("reoffer", "withdraw")
HOUSEHOLD_EFFECTS = ("wait", "review", "withdraw")


@dataclass(frozen=True)
class Policy:
    districts: tuple[str, ...]
    sizes: SizeTable
    horizon_days: int
    weights: Weights
    scoring: Scoring
    urgency_levels: tuple[UrgencyLevel, ...]
    response_working_days: int
    household_declines_before_review: int
    company_decline_reasons: tuple[DeclineReason, ...]
    household_decline_reasons: tuple[DeclineReason, ...]
    assignment: Assignment
    rent_limits_source: str = ""
    _district_index: Mapping[str, int] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_district_index", {d: i for i, d in enumerate(self.districts)})

    # --- look-ups -------------------------------------------------------------------------
    def district_index(self, name: str) -> int:
        try:
            return self._district_index[name]
        except KeyError:
            raise ValueError(f"unknown district {name!r}") from None

    def is_district(self, name: str) -> bool:
        return name in self._district_index

    def urgency(self, key: str) -> UrgencyLevel:
        for level in self.urgency_levels:
            if level.key == key:
                return level
        raise ValueError(f"unknown urgency {key!r}")

    def find_decline_reason(self, party: str, key: str) -> DeclineReason | None:
        reasons = self.company_decline_reasons if party == "company" else self.household_decline_reasons
        return next((reason for reason in reasons if reason.key == key), None)

    def decline_reason(self, party: str, key: str) -> DeclineReason:
        reason = self.find_decline_reason(party, key)
        if reason is None:
            raise ValueError(f"unknown decline reason {key!r} for party {party!r}")
        return reason

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("_district_index", None)
        return data

    # --- parsing ----------------------------------------------------------------------------
    @classmethod
    def from_data(
        cls, *, matching: Mapping[str, Any], rent_limits: Mapping[str, Any], districts: Mapping[str, Any]
    ) -> "Policy":
        try:
            return cls._parse(matching, rent_limits, districts)
        except (KeyError, TypeError) as exc:
            raise PolicyError(f"matching configuration incomplete: {exc!r}") from exc

    @classmethod
    def _parse(cls, m: Mapping[str, Any], rl: Mapping[str, Any], d: Mapping[str, Any]) -> "Policy":
        reasons = m["decline_reasons"]
        return cls(
            districts=_districts(d),
            sizes=_size_table(rl, m["space_norm"]),
            horizon_days=int(m["availability"]["horizon_days"]),
            weights=_weights(m["weights"]),
            scoring=_scoring(m["scoring"]),
            urgency_levels=_urgency_levels(m["urgency_levels"]),
            response_working_days=int(m["proposals"]["response_working_days"]),
            household_declines_before_review=int(m["proposals"]["household_declines_before_review"]),
            company_decline_reasons=_decline_reasons(reasons["company"]),
            household_decline_reasons=_decline_reasons(reasons["household"]),
            assignment=_assignment(m["assignment"]),
            rent_limits_source=str(rl.get("_source", "")),
        )


# --- the parts of the configuration, each parsed and checked on its own ---------------------------

def _size_row(persons: int, limit: Mapping[str, Any], norm: Mapping[str, Any]) -> SizeRow:
    return SizeRow(
        persons=persons,
        max_cold_rent_cents=int(limit["max_cold_rent_cents"]),
        orientation_area_m2=float(limit["orientation_area_m2"]),
        min_rooms=float(norm["min_rooms"]),
        max_rooms=float(norm["max_rooms"]),
        min_area_m2=float(norm["min_area_m2"]),
    )


def _size_table(rl: Mapping[str, Any], space_norm: Mapping[str, Any]) -> SizeTable:
    """Rent limits (the city's table) and space norm (the program's) joined by household size."""
    limits = {r["persons"]: r for r in rl["by_household_size"]}
    norms = {r["persons"]: r for r in space_norm["by_household_size"]}
    if sorted(limits) != list(range(1, len(limits) + 1)) or sorted(norms) != sorted(limits):
        raise PolicyError("rent limits and space norm must cover the same sizes 1..N without gaps")
    rows = tuple(_size_row(persons, limits[persons], norms[persons]) for persons in sorted(limits))
    for row in rows:
        if row.max_cold_rent_cents <= 0 or row.min_rooms > row.max_rooms:
            raise PolicyError(f"inconsistent size row for {row.persons} persons")
    further = _size_row(0, rl["each_further_person"], space_norm["each_further_person"])
    return SizeTable(rows=rows, further=further)


def _weights(w: Mapping[str, Any]) -> Weights:
    weights = Weights(urgency=float(w["urgency"]), waiting_time=float(w["waiting_time"]),
                      district_preference=float(w["district_preference"]), fit=float(w["fit"]))
    if any(not math.isfinite(v) or v < 0 for v in asdict(weights).values()):
        raise PolicyError("weights must be finite and non-negative")
    return weights


def _scoring(s: Mapping[str, Any]) -> Scoring:
    scoring = Scoring(**{k: (int(v) if k.endswith("_days") else float(v)) for k, v in s.items() if not k.startswith("_")})
    if scoring.waiting_time_full_after_days <= 0:
        raise PolicyError("waiting_time_full_after_days must be positive")
    return scoring


def _urgency_levels(items: list[Mapping[str, Any]]) -> tuple[UrgencyLevel, ...]:
    levels = tuple(UrgencyLevel(key=u["key"], label_de=u["label_de"], value=float(u["value"])) for u in items)
    if not levels or any(not 0 <= u.value <= 1 for u in levels):
        raise PolicyError("urgency values must lie in [0, 1]")
    return levels


def _decline_reasons(items: list[Mapping[str, Any]]) -> tuple[DeclineReason, ...]:
    out = tuple(
        DeclineReason(key=r["key"], label_de=r["label_de"], flat=r["flat"], household=r["household"], counts=bool(r["counts"]))
        for r in items
    )
    for r in out:
        if r.flat not in FLAT_EFFECTS or r.household not in HOUSEHOLD_EFFECTS:
            raise PolicyError(f"decline reason {r.key!r} has an unknown effect")
    return out


def _districts(d: Mapping[str, Any]) -> tuple[str, ...]:
    districts = tuple(d["districts"])
    if len(districts) > 31:
        raise PolicyError("at most 31 districts fit the engine's bit masks")
    return districts


def _assignment(a: Mapping[str, Any]) -> Assignment:
    budget = a.get("time_budget_s")
    return Assignment(candidates_per_list=max(1, int(a["candidates_per_list"])),
                      time_budget_s=None if budget is None else float(budget))
