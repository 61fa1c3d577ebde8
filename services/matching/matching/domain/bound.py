"""Upper bounds on the best total score over ALL eligible pairs, from one price per list.

A pair's score is t(household, list) + fit(list, flat), and every household of a
(segment, district) list is eligible for every flat linked to it. So for any price w_L per list,

    u_i = max(0, max over i's lists L of t_iL - w_L),    v_j = max(0, max over j's lists L of w_L + fit_Lj)

satisfy u_i + v_j >= score_ij for every eligible pair, and by LP duality any matching scores at
most D(w) = sum(u) + sum(v). This holds for every w, so the search for a small D(w) below needs no
proof of its own: whatever it finds is evaluated exactly. D is the dual of the matching written as
a flow households -> lists -> flats (1.1 M entries and 40 k links instead of 59.5 M pairs), and
its minimum over w is the optimum itself; with a near-optimal w the bound is tight.

The pair duals of a pruned solve start it (`prices_from`: the smallest w feasible with them, which
covers the pruned pairs through the lists and lowers every u it can). D is piecewise linear;
`refine` minimises a smoothed D (log-sum-exp with temperature tau, a few L-BFGS steps per tau while
tau shrinks) until its deadline. Pairs already proposed before only remove pairs, so a bound over
all eligible pairs bounds that run too.
"""

from __future__ import annotations

import time

import numpy as np
from scipy.optimize import minimize

from matching.domain.candidates import Candidates, ListIndex

TAUS = (3e-3, 1e-3, 3e-4, 1e-4, 3e-5)  # times the largest score
STEPS_PER_TAU = 25
EXTRA_STAGES = 4  # more rounds at the smallest temperature while time is left
TIGHT = 1e-9  # slack (times the largest score) below which a pair counts as tight
FAR = 30.0
STALL = 1e-6  # relative gain of a descent sweep below which it stops
NEAR = 0.05  # times the largest score: households further below all their prices sit out a descent sweep  # a household whose best t - w is more than FAR * tau below 0 adds nothing to the smoothed D


class _Deadline(Exception):
    pass


class ListDual:
    """The lists of `index` as a dense households × districts table (a household has one segment)."""

    def __init__(self, index: ListIndex, n_households: int, n_flats: int) -> None:
        n_lists = len(index.list_start)
        self.n_lists = n_lists
        # a link to a list without households carries no pair either
        link = np.flatnonzero(index.list_len[index.link_list] > 0)
        self.linked = np.zeros(n_lists, dtype=bool)
        self.linked[index.link_list[link]] = True
        list_of = np.repeat(np.arange(n_lists), index.list_len)
        keep = self.linked[list_of]  # entries of lists without flats carry no pair
        self.eh, self.el, self.et = index.entry_household[keep], list_of[keep], index.entry_t[keep]
        self.lstart = np.flatnonzero(np.r_[True, self.el[1:] != self.el[:-1]]) if len(self.el) else np.empty(0, np.int64)
        self.households = np.arange(n_households)  # one row each; a row without entries has u = 0
        self.row = row = self.eh
        n_d = max(index.n_districts, 1)
        self.t = np.full((len(self.households), n_d), -np.inf)
        self.cell_list = np.zeros((len(self.households), n_d), dtype=np.int64)
        self.t[row, self.el % n_d] = self.et
        self.cell_list[row, self.el % n_d] = self.el
        self.valid = np.isfinite(self.t)
        link = link[np.argsort(index.link_flat[link], kind="stable")]
        self.lf, self.ll, self.lfit = index.link_flat[link], index.link_list[link], index.link_fit[link]
        self.fstart = np.flatnonzero(np.r_[True, self.lf[1:] != self.lf[:-1]]) if len(self.lf) else np.empty(0, np.int64)
        self.fcount = np.diff(np.r_[self.fstart, len(self.lf)])
        self.scale = float(max(self.et.max(initial=0.0) + self.lfit.max(initial=0.0), 1e-9))

    def prices_from(self, u: np.ndarray) -> np.ndarray:
        """The smallest w with t_iL - w_L <= u_i for every entry (0 for lists without flats)."""
        w = np.zeros(self.n_lists)
        if len(self.el):
            w[self.el[self.lstart]] = np.maximum.reduceat(self.et - u[self.eh], self.lstart)
        return w

    def value(self, w: np.ndarray) -> float:
        """D(w): a proven upper bound on the total score of any matching over eligible pairs."""
        u = np.where(self.valid, self.t - w[self.cell_list], -np.inf).max(axis=1, initial=0.0)
        v = np.maximum(np.maximum.reduceat(w[self.ll] + self.lfit, self.fstart), 0.0) if len(self.lf) else np.zeros(0)
        return float(u.sum() + v.sum())

    def refine(self, w: np.ndarray, deadline: float, stage: int = 0) -> tuple[float, np.ndarray, int]:
        """The smallest D found from w until `deadline` (perf_counter), its prices and the stage to go
        on from (a later call continues with the smaller temperatures)."""
        best, best_w = self.value(w), w
        while stage < len(TAUS) + EXTRA_STAGES:
            if time.perf_counter() >= deadline or not len(self.lf):
                break
            tau = TAUS[min(stage, len(TAUS) - 1)] * self.scale
            stage += 1
            near = np.where(self.valid, self.t - w[self.cell_list], -np.inf).max(axis=1) > -FAR * tau - 0.01 * self.scale
            last = [w]
            try:
                w = minimize(self._smoothed, w, args=(tau, self.t[near], self.cell_list[near], self.valid[near], deadline, last),
                             jac=True, method="L-BFGS-B", options={"maxiter": STEPS_PER_TAU}).x
            except _Deadline:
                w = last[0]
            d = self.value(w)
            if d < best:
                best, best_w = d, w
            w = best_w
        return best, best_w, stage

    def _smoothed(self, x: np.ndarray, tau: float, t: np.ndarray, cell: np.ndarray, valid: np.ndarray,
                  deadline: float, last: list) -> tuple[float, np.ndarray]:
        """D with every max(0, ...) replaced by tau * log-sum-exp over the same terms, and its gradient."""
        if time.perf_counter() >= deadline:
            raise _Deadline
        last[0] = x.copy()
        z = np.where(valid, (t - x[cell]) / tau, -np.inf)
        m = np.maximum(z.max(axis=1, initial=0.0), 0.0)
        e = np.exp(z - m[:, None])
        s = np.exp(-m) + e.sum(axis=1)
        y = (x[self.ll] + self.lfit) / tau
        mf = np.maximum(np.maximum.reduceat(y, self.fstart), 0.0)
        ef = np.exp(y - np.repeat(mf, self.fcount))
        sf = np.exp(-mf) + np.add.reduceat(ef, self.fstart)
        f = tau * (float((m + np.log(s)).sum()) + float((mf + np.log(sf)).sum()))
        grad = np.bincount(self.ll, ef / np.repeat(sf, self.fcount), minlength=self.n_lists)
        grad -= np.bincount(cell[valid], (e / s[:, None])[valid], minlength=self.n_lists)
        return f, grad

    def descend(self, w: np.ndarray, deadline: float) -> tuple[float, np.ndarray]:
        """Exact coordinate descent from w until `deadline`: each list's price in turn moves to a
        minimum of D along it. Stalls where prices must move together (smoothing handles that),
        but from smoothed prices a few sweeps close most of what is left."""
        n_d = self.t.shape[1]
        n_seg = self.n_lists // n_d
        if not hasattr(self, "_seg_rows"):
            row_seg = self.cell_list[np.arange(len(self.households)), np.argmax(self.valid, axis=1)] // n_d
            order = np.argsort(row_seg, kind="stable")
            cuts = np.flatnonzero(np.diff(row_seg[order])) + 1
            self._seg_rows = dict(zip(np.unique(row_seg).tolist(), np.split(order, cuts)))
            flats, frow = np.unique(self.lf, return_inverse=True)
            self._fit = np.full((len(flats), n_seg), -np.inf)
            self._fit[frow, self.ll // n_d] = self.lfit
            self._fdist = np.zeros(len(flats), dtype=np.int64)
            self._fdist[frow] = self.ll % n_d
            by_list = np.argsort(self.ll, kind="stable")
            cuts = np.flatnonzero(np.diff(self.ll[by_list])) + 1
            self._list_flats = dict(zip(np.unique(self.ll).tolist(), np.split(frow[by_list], cuts)))
        best, w = self.value(w), w.copy()
        best_w = w.copy()
        prices = w.reshape(n_seg, n_d)
        while time.perf_counter() < deadline:
            # Households far below every price of theirs cannot move one; the exact D below still counts them.
            near = np.where(self.valid, self.t - w[self.cell_list], -np.inf).max(axis=1) > -NEAR * self.scale
            seg_rows = {g: r[near[r]] for g, r in self._seg_rows.items()}
            for lst, fr in self._list_flats.items():
                if time.perf_counter() >= deadline:
                    break
                g, d = divmod(lst, n_d)
                rows = seg_rows[g]
                other = self.t[rows] - prices[g]
                other[:, d] = -np.inf
                alpha = self.t[rows, d] - np.maximum(other.max(axis=1), 0.0)  # i gains from L while w_L < alpha_i
                rival = self._fit[fr] + prices[:, self._fdist[fr]].T
                rival[:, g] = -np.inf
                beta = np.maximum(rival.max(axis=1), 0.0) - self._fit[fr, g]  # j gains from L while w_L > beta_j
                alpha, beta = -np.sort(-alpha), np.sort(beta)
                m = min(len(alpha), len(beta))
                k = int((alpha[:m] >= beta[:m]).sum())  # households and flats L should pair
                lo = max(beta[k - 1] if k else -np.inf, alpha[k] if k < len(alpha) else -np.inf)
                hi = min(alpha[k - 1] if k else np.inf, beta[k] if k < len(beta) else np.inf)
                new = (lo + hi) / 2 if np.isfinite(lo) and np.isfinite(hi) else (lo if np.isfinite(lo) else hi)
                if np.isfinite(new):
                    prices[g, d] = new
            d_now = self.value(w)
            stalled = d_now >= best * (1 - STALL)  # a whole sweep gained (next to) nothing
            if d_now < best:
                best, best_w = d_now, w.copy()
            if stalled:
                break
        return best, best_w

    def tight_pairs(self, w: np.ndarray, per_list: int) -> Candidates:
        """Pairs whose dual constraint under w is tight: the households of each list that attain
        their u through it (at most `per_list` of them, best first), with every flat of the list.
        An optimal matching uses tight pairs only; near the optimal w these are few."""
        u = np.where(self.valid, self.t - w[self.cell_list], -np.inf).max(axis=1, initial=0.0)
        slack = u[self.row] - (self.et - w[self.el])
        tight = np.flatnonzero(slack <= TIGHT * self.scale)
        if not len(tight):
            return Candidates.empty()
        tl = self.el[tight]
        first = np.r_[True, tl[1:] != tl[:-1]]
        rank = np.arange(len(tight)) - np.flatnonzero(first)[np.cumsum(first) - 1]
        tight = tight[rank < per_list]
        count = np.bincount(self.el[tight], minlength=self.n_lists)
        start = np.cumsum(count) - count
        c = count[self.ll]
        link = np.repeat(np.arange(len(self.ll)), c)
        entry = tight[start[self.ll[link]] + np.arange(int(c.sum())) - np.repeat(np.cumsum(c) - c, c)]
        return Candidates(self.eh[entry].astype(np.int64), self.lf[link].astype(np.int64),
                          self.et[entry] + self.lfit[link])
