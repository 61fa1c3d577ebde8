""""Why not?": for a household, the flats it is eligible for and, for every other flat, the rules that
excluded it (and the mirror question for a flat)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from matching.domain import rules, scoring
from matching.domain.policy import Policy
from matching.domain.tables import FlatTable, HouseholdTable


@dataclass(frozen=True)
class Verdict:
    other_id: str  # the flat (for a household) or the household (for a flat)
    eligible: bool
    failed: tuple[rules.RuleResult, ...]  # empty when eligible
    score: scoring.Breakdown | None  # only for eligible pairs


def _verdict(H: HouseholdTable, h: int, F: FlatTable, f: int, policy: Policy, today: date, other: str) -> Verdict:
    results = rules.explain_pair(H, h, F, f, policy, today)
    failed = tuple(r for r in results if not r.passed)
    return Verdict(
        other_id=other,
        eligible=not failed,
        failed=failed,
        score=None if failed else scoring.breakdown(H, h, F, f, policy, today),
    )


def for_household(H: HouseholdTable, h: int, F: FlatTable, policy: Policy, today: date) -> list[Verdict]:
    """Eligible flats first (best score first), then the excluded ones with their failed rules."""
    verdicts = [_verdict(H, h, F, f, policy, today, str(F.ids[f])) for f in range(len(F))]
    return sorted(verdicts, key=lambda v: (not v.eligible, -(v.score.total if v.score else 0.0), v.other_id))


def for_flat(H: HouseholdTable, F: FlatTable, f: int, policy: Policy, today: date) -> list[Verdict]:
    verdicts = [_verdict(H, h, F, f, policy, today, str(H.ids[h])) for h in range(len(H))]
    return sorted(verdicts, key=lambda v: (not v.eligible, -(v.score.total if v.score else 0.0), v.other_id))
