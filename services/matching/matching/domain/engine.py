"""A matching run: tables in, chosen pairs with scores out. Used as is by the service and the benchmark."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from typing import Iterable

import numpy as np

from matching.domain import assignment
from matching.domain.candidates import Candidates, ListIndex, build_lists
from matching.domain.policy import Policy
from matching.domain.tables import FlatTable, HouseholdTable

CERTIFICATE_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Match:
    household_id: str
    flat_id: str
    score: float


@dataclass
class RunResult:
    household: np.ndarray  # indices into the HouseholdTable
    flat: np.ndarray  # indices into the FlatTable
    score: np.ndarray
    eligible_pairs: int
    solved_pairs: int
    certified_optimal: bool
    rounds: int
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def total_score(self) -> float:
        return float(self.score.sum())

    def matches(self, H: HouseholdTable, F: FlatTable) -> list[Match]:
        return [
            Match(str(H.ids[h]), str(F.ids[f]), float(s))
            for h, f, s in zip(self.household.tolist(), self.flat.tolist(), self.score.tolist())
        ]


def history_keys(H: HouseholdTable, F: FlatTable, pairs: Iterable[tuple[str, str]]) -> np.ndarray:
    """Pair keys (household index * n_flats + flat index) of (household_id, flat_id) already proposed."""
    h_index = {str(i): n for n, i in enumerate(H.ids.tolist())}
    f_index = {str(i): n for n, i in enumerate(F.ids.tolist())}
    keys = [h_index[h] * len(F) + f_index[f] for h, f in pairs if h in h_index and f in f_index]
    return np.unique(np.array(keys, dtype=np.int64))


def without(c: Candidates, keys: np.ndarray, n_flats: int) -> Candidates:
    if keys.size == 0 or len(c) == 0:
        return c
    pair_keys = c.household * n_flats + c.flat
    return c.take(~np.isin(pair_keys, keys))


def assign(
    index: ListIndex, n_households: int, n_flats: int, policy: Policy, exclude: np.ndarray
) -> tuple[Candidates, np.ndarray, bool, int]:
    """Solve on list prefixes, prove optimality with duals, widen lists that break the proof.

    Returns (pairs solved on, indices of the chosen ones, certified optimal, rounds). Lists grow
    until the proof holds; in the worst case they cover every eligible pair, which is optimal by
    definition, so the result is always a global optimum.
    """
    depth = np.full(len(index.list_len), policy.assignment.candidates_per_list, dtype=np.int64)
    rounds = 0
    while True:
        rounds += 1
        sub = without(index.candidates(depth), exclude, n_flats)
        chosen = assignment.solve(sub.household, sub.flat, sub.score)
        complete = depth >= index.list_len
        if complete[index.link_list].all():
            return sub, chosen, True, rounds
        d = assignment.duals(sub.household, sub.flat, sub.score, chosen, n_households, n_flats)
        if d is None:
            grow = ~complete
        else:
            u, v = d
            tail = index.tail_max(depth, u)
            broken = tail[index.link_list] + index.link_fit > v[index.link_flat] + CERTIFICATE_TOLERANCE
            if not broken.any():
                return sub, chosen, True, rounds
            grow = np.zeros(len(depth), dtype=bool)
            grow[index.link_list[broken]] = True
        depth[grow] *= 4


def run(
    H: HouseholdTable,
    F: FlatTable,
    policy: Policy,
    today: date,
    previously_proposed: Iterable[tuple[str, str]] = (),
) -> RunResult:
    """Score the eligible pairs and choose the assignment with the highest total score.

    `previously_proposed` holds (household_id, flat_id) pairs that must never be proposed again.
    """
    t0 = time.perf_counter()
    index = build_lists(H, F, policy, today)
    t1 = time.perf_counter()
    sub, chosen, certified, rounds = assign(index, len(H), len(F), policy, history_keys(H, F, previously_proposed))
    t2 = time.perf_counter()
    picked = sub.take(chosen)
    return RunResult(
        household=picked.household,
        flat=picked.flat,
        score=picked.score,
        eligible_pairs=index.eligible_pairs,
        solved_pairs=len(sub),
        certified_optimal=certified,
        rounds=rounds,
        timings={"score_s": t1 - t0, "assign_s": t2 - t1},
    )
