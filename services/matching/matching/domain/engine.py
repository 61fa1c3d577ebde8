"""A matching run: tables in, chosen pairs with scores out. Used as is by the service and the benchmark."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from typing import Iterable

import numpy as np

from matching.domain import assignment
from matching.domain.bound import ListDual
from matching.domain.candidates import Candidates, ListIndex, best_pair_first, build_lists
from matching.domain.policy import Policy
from matching.domain.tables import FlatTable, HouseholdTable

CERTIFICATE_TOLERANCE = 1e-6
WIDEN = 4  # list growth per round: fewer rounds vs. smaller solves
# With a budget, widening goes on while the next round would end within WIDEN_SHARE of it; then list
# prices take over (`_by_prices`): PRICE_SHARE of the time left refines them before the last solve,
# which adds at most TIGHT_PER_LIST households per list.
WIDEN_SHARE = 0.5
PRICE_SHARE = 0.3
TIGHT_PER_LIST = 64


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
    upper_bound: float
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


@dataclass
class Assigned:
    pairs: Candidates  # the pairs solved on
    chosen: np.ndarray  # indices into pairs
    certified: bool
    rounds: int
    upper_bound: float  # proven bound on the optimum over all eligible pairs


def _union(a: Candidates, b: Candidates, n_flats: int) -> Candidates:
    both = Candidates(np.concatenate([a.household, b.household]), np.concatenate([a.flat, b.flat]),
                      np.concatenate([a.score, b.score]))
    _, first = np.unique(both.household * n_flats + both.flat, return_index=True)
    return both.take(np.sort(first))


def assign(
    index: ListIndex, n_households: int, n_flats: int, policy: Policy, exclude: np.ndarray,
    warm: Candidates | None = None, budget_s: float | None = None,
) -> Assigned:
    """Solve on list prefixes, prove optimality with duals, widen lists that break the proof.

    Lists grow until the proof holds; in the worst case they cover every eligible pair, which is
    optimal by definition. With a time budget the widening stops when the next round would not end
    within WIDEN_SHARE of it, and `_by_prices` spends the rest: the result is the best assignment on the pairs solved (never
    worse than the last round's, nor than the warm start, best pair first), `certified` is False
    unless the list-price bound meets it, and `upper_bound` bounds how far from the optimum it can be.
    """
    started = time.perf_counter()
    depth = np.full(len(index.list_len), policy.assignment.candidates_per_list, dtype=np.int64)
    rounds = 0
    while True:
        rounds += 1
        sub = without(index.candidates(depth), exclude, n_flats)
        if warm is not None and len(warm):
            sub = _union(sub, warm, n_flats)
        t_solve = time.perf_counter()
        chosen = assignment.solve(sub.household, sub.flat, sub.score)
        solve_s = time.perf_counter() - t_solve
        total = float(sub.score[chosen].sum())
        complete = depth >= index.list_len
        if complete[index.link_list].all():
            return Assigned(sub, chosen, True, rounds, total)
        d = assignment.duals(sub.household, sub.flat, sub.score, chosen, n_households, n_flats)
        u = np.zeros(n_households)
        if d is None:
            grow = ~complete
            bound = float("inf")
        else:
            u, v = d
            need = index.tail_max(depth, u)[index.link_list] + index.link_fit
            broken = need > v[index.link_flat] + CERTIFICATE_TOLERANCE
            if not broken.any():
                return Assigned(sub, chosen, True, rounds, total)
            grow = np.zeros(len(depth), dtype=bool)
            grow[index.link_list[broken]] = True
            # Raising v where pruned pairs need it gives duals feasible for every eligible pair.
            v_full = v.copy()
            np.maximum.at(v_full, index.link_flat, need)
            bound = float(u.sum() + v_full.sum())
        depth[grow] *= WIDEN
        if budget_s is not None:
            next_pairs = int(np.minimum(depth[index.link_list], index.list_len[index.link_list]).sum())
            growth = max(next_pairs / max(len(sub), 1), 1.0)
            if time.perf_counter() - started + solve_s * growth ** 1.5 > WIDEN_SHARE * budget_s:
                return _by_prices(index, n_households, n_flats, exclude, warm, sub, chosen, u, bound, solve_s,
                                  rounds, started + budget_s)


def _by_prices(
    index: ListIndex, n_households: int, n_flats: int, exclude: np.ndarray, warm: Candidates | None,
    sub: Candidates, chosen: np.ndarray, u: np.ndarray, bound: float, solve_s: float, rounds: int, end: float,
) -> Assigned:
    """When widening whole lists no longer fits the budget: list prices (bound.py) from the duals
    so far bound the optimum, and the pairs tight under those prices, with the assignment so far and
    the warm start, make one more solve, smaller than the last and nearly optimal (it takes from
    each list the households the optimum is likely to need, not a prefix for every flat)."""
    lists = ListDual(index, n_households, n_flats)
    b, w, _ = lists.refine(lists.prices_from(u), time.perf_counter() + PRICE_SHARE * (end - time.perf_counter()))
    bound = min(bound, b)
    total = float(sub.score[chosen].sum())
    more = _union(sub.take(chosen), without(lists.tight_pairs(w, TIGHT_PER_LIST), exclude, n_flats), n_flats)
    if warm is not None and len(warm):
        more = _union(more, warm, n_flats)
    # linear: a tight pair costs the solver more than a prefix pair, so the usual power overshoots
    if time.perf_counter() + solve_s * len(more) / max(len(sub), 1) < end:
        rounds += 1
        again = assignment.solve(more.household, more.flat, more.score)
        if float(more.score[again].sum()) > total:
            sub, chosen, total = more, again, float(more.score[again].sum())
    b, _ = lists.descend(w, end)
    bound = min(bound, b)
    return Assigned(sub, chosen, bound <= total + CERTIFICATE_TOLERANCE, rounds, bound)


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
    exclude = history_keys(H, F, previously_proposed)
    budget = policy.assignment.time_budget_s
    warm = None
    if budget is not None:
        warm = best_pair_first(index, len(F), set(exclude.tolist()))
    a = assign(index, len(H), len(F), policy, exclude, warm=warm,
               budget_s=None if budget is None else max(budget - (time.perf_counter() - t0), 0.0))
    t2 = time.perf_counter()
    picked = a.pairs.take(a.chosen)
    return RunResult(
        household=picked.household,
        flat=picked.flat,
        score=picked.score,
        eligible_pairs=index.eligible_pairs,
        solved_pairs=len(a.pairs),
        certified_optimal=a.certified,
        rounds=a.rounds,
        upper_bound=a.upper_bound,
        timings={"score_s": t1 - t0, "assign_s": t2 - t1},
    )
