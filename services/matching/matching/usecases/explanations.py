"""The "why not" answers: eligible pairs (best first) and, for the others, the rules that excluded them."""

from __future__ import annotations

from typing import Any, Iterable

from matching.domain import explain
from matching.domain.proposal import rule_results


def verdicts_out(verdicts: Iterable[explain.Verdict]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {"eligible": [], "excluded": []}
    for v in verdicts:
        item = {"id": v.other_id, "eligible": v.eligible, "failed_rules": rule_results(v.failed),
                "score": v.score.as_dict() if v.score else None}
        out["eligible" if v.eligible else "excluded"].append(item)
    return out
