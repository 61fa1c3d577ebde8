"""Maximum-total-score assignment over eligible pairs (at most one pair per flat and per household).

The solver is scipy's LAPJVsp (`min_weight_full_bipartite_matching`) on the sparse graph of
eligible pairs only, so an ineligible pair can never be chosen (no big-M, no NaN). It wants a
*full* matching, which the eligible graph rarely has; every flat therefore gets a private dummy
household with weight 0, which makes a full matching exist and changes nothing else: any matching
extends to a full one with the same weight by sending unmatched flats to their dummies. All
weights get +1 because the solver treats explicit zeros ambiguously (its documentation says so);
every full matching has exactly one edge per flat, so the shift does not change the optimum.

Large runs solve on pruned candidate lists and then *prove* the result optimal for the full graph
with LP duality: `duals` computes optimal dual values (u per household, v per flat) of the pruned
problem; if every pruned pair (i, j) also satisfies u_i + v_j >= score_ij, those duals are feasible
for the full problem and certify the matching as a global optimum. Where a pruned pair violates
it, the engine widens the lists concerned and solves again (see `engine.assign`).
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import csr_array
from scipy.sparse.csgraph import min_weight_full_bipartite_matching


def solve(household: np.ndarray, flat: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Indices (into the pair arrays) of a maximum-total-score matching. Pairs must be unique."""
    if len(household) == 0:
        return np.empty(0, dtype=np.int64)
    if not np.all(np.isfinite(score)) or np.any(score < 0):
        raise ValueError("scores must be finite and non-negative")
    hh, hrow = np.unique(household, return_inverse=True)
    ff, fcol = np.unique(flat, return_inverse=True)
    n_h, n_f = hh.size, ff.size
    rows = np.concatenate([hrow, n_h + np.arange(n_f)])
    cols = np.concatenate([fcol, np.arange(n_f)])
    data = np.concatenate([score.astype(np.float64) + 1.0, np.ones(n_f)])
    graph = csr_array((data, (rows, cols)), shape=(n_h + n_f, n_f))
    r, c = min_weight_full_bipartite_matching(graph, maximize=True)
    real = r < n_h
    chosen_keys = r[real].astype(np.int64) * n_f + c[real]
    keys = hrow.astype(np.int64) * n_f + fcol
    order = np.argsort(keys, kind="stable")
    return np.sort(order[np.searchsorted(keys, chosen_keys, sorter=order)])


def greedy(household: np.ndarray, flat: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Baseline: best pair first (what a team does by hand). Indices of the chosen pairs."""
    order = np.argsort(-score, kind="stable")
    taken_h: set[int] = set()
    taken_f: set[int] = set()
    chosen = []
    for idx, h, f in zip(order.tolist(), household[order].tolist(), flat[order].tolist()):
        if h in taken_h or f in taken_f:
            continue
        taken_h.add(h)
        taken_f.add(f)
        chosen.append(idx)
    return np.array(sorted(chosen), dtype=np.int64)


def duals(
    household: np.ndarray, flat: np.ndarray, score: np.ndarray, chosen: np.ndarray, n_households: int, n_flats: int,
    max_iterations: int = 5000,
) -> tuple[np.ndarray, np.ndarray] | None:
    """Optimal LP duals (u per household, v per flat) of the max-weight matching `chosen`.

    The smallest v with v_j >= max(0, score_ij - u_i) on every pair and u_i = score of i's chosen
    pair - v of its flat (0 when i is unmatched) is the least fixed point of a longest-path
    recursion over alternating paths; label correcting (vectorised Bellman-Ford) finds it because an
    optimal matching has no improving alternating cycle. Returns None when it does not converge or
    the duals fail a check (then the caller does not claim optimality).
    """
    u = np.zeros(n_households)
    v = np.zeros(n_flats)
    if len(household) == 0:
        return u, v
    match_flat = np.full(n_households, -1, dtype=np.int64)
    match_score = np.zeros(n_households)
    match_flat[household[chosen]] = flat[chosen]
    match_score[household[chosen]] = score[chosen]
    matched = match_flat >= 0
    order = np.argsort(flat, kind="stable")
    f_sorted, h_sorted, s_sorted = flat[order], household[order], score[order]
    starts = np.flatnonzero(np.r_[True, f_sorted[1:] != f_sorted[:-1]])
    present = f_sorted[starts]
    for _ in range(max_iterations):
        u = np.where(matched, match_score - v[np.maximum(match_flat, 0)], 0.0)
        best = np.maximum.reduceat(s_sorted - u[h_sorted], starts)
        new_v = v.copy()
        new_v[present] = np.maximum(best, 0.0)
        if np.allclose(new_v, v, rtol=0.0, atol=1e-9):
            v = new_v
            break
        v = new_v
    else:
        return None
    u = np.where(matched, match_score - v[np.maximum(match_flat, 0)], 0.0)
    tol = 1e-6
    flat_matched = np.zeros(n_flats, dtype=bool)
    flat_matched[flat[chosen]] = True
    if (u < -tol).any() or (v[~flat_matched] > tol).any() or (score - u[household] - v[flat] > tol).any():
        return None
    return u, v
