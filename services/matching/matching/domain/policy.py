"""The matching policy: every number the engine uses, parsed from configuration data.

Nothing here reads files; `matching.config.load_policy()` does that. A `Policy` is immutable and
can be turned back into plain data (`as_dict`) so a proposal can keep a snapshot of the policy in
force when it was made.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Mapping


class PolicyError(ValueError):
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

    def decline_reason(self, party: str, key: str) -> DeclineReason:
        reasons = self.company_decline_reasons if party == "company" else self.household_decline_reasons
        for reason in reasons:
            if reason.key == key:
                return reason
        raise ValueError(f"unknown decline reason {key!r} for party {party!r}")

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
        limits = {r["persons"]: r for r in rl["by_household_size"]}
        norms = {r["persons"]: r for r in m["space_norm"]["by_household_size"]}
        if sorted(limits) != list(range(1, len(limits) + 1)) or sorted(norms) != sorted(limits):
            raise PolicyError("rent limits and space norm must cover the same sizes 1..N without gaps")
        rows = []
        for persons in sorted(limits):
            lim, norm = limits[persons], norms[persons]
            row = SizeRow(
                persons=persons,
                max_cold_rent_cents=int(lim["max_cold_rent_cents"]),
                orientation_area_m2=float(lim["orientation_area_m2"]),
                min_rooms=float(norm["min_rooms"]),
                max_rooms=float(norm["max_rooms"]),
                min_area_m2=float(norm["min_area_m2"]),
            )
            if row.max_cold_rent_cents <= 0 or row.min_rooms > row.max_rooms:
                raise PolicyError(f"inconsistent size row for {persons} persons")
            rows.append(row)
        f_lim, f_norm = rl["each_further_person"], m["space_norm"]["each_further_person"]
        further = SizeRow(
            persons=0,
            max_cold_rent_cents=int(f_lim["max_cold_rent_cents"]),
            orientation_area_m2=float(f_lim["orientation_area_m2"]),
            min_rooms=float(f_norm["min_rooms"]),
            max_rooms=float(f_norm["max_rooms"]),
            min_area_m2=float(f_norm["min_area_m2"]),
        )
        w = m["weights"]
        weights = Weights(
            urgency=float(w["urgency"]),
            waiting_time=float(w["waiting_time"]),
            district_preference=float(w["district_preference"]),
            fit=float(w["fit"]),
        )
        if any(not math.isfinite(v) or v < 0 for v in asdict(weights).values()):
            raise PolicyError("weights must be finite and non-negative")
        s = m["scoring"]
        scoring = Scoring(**{k: (int(v) if k.endswith("_days") else float(v)) for k, v in s.items() if not k.startswith("_")})
        if scoring.waiting_time_full_after_days <= 0:
            raise PolicyError("waiting_time_full_after_days must be positive")
        levels = tuple(
            UrgencyLevel(key=u["key"], label_de=u["label_de"], value=float(u["value"])) for u in m["urgency_levels"]
        )
        if not levels or any(not 0 <= u.value <= 1 for u in levels):
            raise PolicyError("urgency values must lie in [0, 1]")

        def reasons(items: list[Mapping[str, Any]]) -> tuple[DeclineReason, ...]:
            out = tuple(
                DeclineReason(key=r["key"], label_de=r["label_de"], flat=r["flat"], household=r["household"], counts=bool(r["counts"]))
                for r in items
            )
            for r in out:
                if r.flat not in FLAT_EFFECTS or r.household not in HOUSEHOLD_EFFECTS:
                    raise PolicyError(f"decline reason {r.key!r} has an unknown effect")
            return out

        dr = m["decline_reasons"]
        a = m["assignment"]
        districts = tuple(d["districts"])
        if len(districts) > 31:
            raise PolicyError("at most 31 districts fit the engine's bit masks")
        return cls(
            districts=districts,
            sizes=SizeTable(rows=tuple(rows), further=further),
            horizon_days=int(m["availability"]["horizon_days"]),
            weights=weights,
            scoring=scoring,
            urgency_levels=levels,
            response_working_days=int(m["proposals"]["response_working_days"]),
            household_declines_before_review=int(m["proposals"]["household_declines_before_review"]),
            company_decline_reasons=reasons(dr["company"]),
            household_decline_reasons=reasons(dr["household"]),
            assignment=Assignment(
                candidates_per_list=max(1, int(a["candidates_per_list"])),
                time_budget_s=None if a.get("time_budget_s") is None else float(a["time_budget_s"]),
            ),
            rent_limits_source=str(rl.get("_source", "")),
        )
