"""Eligible pairs of a run, generated without ever forming the households × flats matrix.

Households are grouped into *segments* that share every rule except the district exclusion:
size, needs, pets and rent limit. For a segment, the flat-level rules (rooms, area, accessibility,
pets, availability, rent) are evaluated once per flat with the rule functions of `rules.py`. Within
a segment, a household's score for a flat is `t(household, district) + fit(segment, flat)`: the
household part (urgency, waiting) plus the district preference depends on the household and the
flat's district only, the fit on the segment and the flat only. So for each (segment, district)
one list of households sorted by `t` serves every flat of that district: the flat's best
candidates from the segment are a prefix of that list.

`full_candidates` enumerates every eligible pair (tests, baseline); `ListIndex.candidates` takes
the first `depth` entries of each list (the engine widens lists until optimality is proven).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from datetime import date

import numpy as np

from matching.domain import rules, scoring
from matching.domain.policy import Policy
from matching.domain.tables import FlatTable, HouseholdTable


@dataclass(frozen=True)
class Candidates:
    """Pairs as parallel arrays."""

    household: np.ndarray  # int64 index into the HouseholdTable
    flat: np.ndarray  # int64 index into the FlatTable
    score: np.ndarray  # float64 total score

    def __len__(self) -> int:
        return len(self.household)

    def take(self, index) -> "Candidates":
        return Candidates(self.household[index], self.flat[index], self.score[index])

    @staticmethod
    def empty() -> "Candidates":
        return Candidates(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float64))


@dataclass(frozen=True)
class ListIndex:
    """Sorted (segment, district) candidate lists and which lists each flat draws from."""

    n_districts: int
    entry_household: np.ndarray  # households, grouped by list, best t first
    entry_t: np.ndarray  # household part + district preference of each entry
    list_start: np.ndarray  # start of each list in the entry arrays
    list_len: np.ndarray
    link_flat: np.ndarray  # one link per (flat, segment) where the flat passes the segment's rules
    link_list: np.ndarray  # the list (segment * n_districts + district of the flat)
    link_fit: np.ndarray  # weighted fit of the segment for the flat

    @property
    def eligible_pairs(self) -> int:
        return int(self.list_len[self.link_list].sum())

    def candidates(self, depth: np.ndarray) -> Candidates:
        """Pairs from the first `depth[list]` entries of every list a flat links to."""
        count = np.minimum(depth[self.link_list], self.list_len[self.link_list])
        total = int(count.sum())
        if total == 0:
            return Candidates.empty()
        link = np.repeat(np.arange(len(self.link_flat)), count)
        offsets = np.cumsum(count) - count
        entry = np.arange(total) - np.repeat(offsets, count) + self.list_start[self.link_list[link]]
        return Candidates(
            self.entry_household[entry].astype(np.int64),
            self.link_flat[link].astype(np.int64),
            self.entry_t[entry] + self.link_fit[link],
        )

    def tail_max(self, depth: np.ndarray, reduced: np.ndarray) -> np.ndarray:
        """Per list: the largest `t - reduced[household]` among entries beyond `depth` (-inf if none)."""
        n_lists = len(self.list_start)
        rank = np.arange(len(self.entry_household)) - np.repeat(self.list_start, self.list_len)
        list_of = np.repeat(np.arange(n_lists), self.list_len)
        beyond = rank >= depth[list_of]
        out = np.full(n_lists, -np.inf)
        if beyond.any():
            vals = self.entry_t[beyond] - reduced[self.entry_household[beyond]]
            np.maximum.at(out, list_of[beyond], vals)
        return out


def _segments(H: HouseholdTable) -> tuple[np.ndarray, list[np.ndarray]]:
    key = np.stack(
        [
            H.size.astype(np.int64),
            H.needs_barrier_free.astype(np.int64),
            H.needs_wheelchair.astype(np.int64),
            H.needs_ground_floor_or_lift.astype(np.int64),
            H.has_pets.astype(np.int64),
            H.rent_limit_cents.astype(np.int64),
        ],
        axis=1,
    )
    _, seg_of = np.unique(key, axis=0, return_inverse=True)
    seg_of = seg_of.ravel()
    order = np.argsort(seg_of, kind="stable")
    bounds = np.flatnonzero(np.diff(seg_of[order])) + 1
    return seg_of, np.split(order, bounds)


def build_lists(H: HouseholdTable, F: FlatTable, policy: Policy, today: date) -> ListIndex:
    n_d = len(policy.districts)
    base = scoring.household_part(H, policy, today)
    seg_of, segments = _segments(H) if len(H) else (np.empty(0, np.int64), [])
    n_seg = len(segments)

    # List entries: every (household, district) it does not exclude, with t = base + district part.
    hh = np.repeat(np.arange(len(H)), n_d)
    dd = np.tile(np.arange(n_d), len(H))
    excluded = ((H.excluded_mask[hh] >> dd) & 1) == 1
    hh, dd = hh[~excluded], dd[~excluded]
    prefs = H.preferred_mask[hh]
    s = policy.scoring
    dval = np.where(prefs == 0, s.district_no_preference, np.where((prefs >> dd) & 1 == 1, s.district_preferred, s.district_not_preferred))
    t = base[hh] + policy.weights.district_preference * dval
    list_id = seg_of[hh].astype(np.int64) * n_d + dd
    order = np.lexsort((hh, -t, list_id))
    list_len = np.bincount(list_id, minlength=n_seg * n_d)
    list_start = np.cumsum(list_len) - list_len

    all_flats = np.arange(len(F))
    open_flats = all_flats[rules.available_ok(F, all_flats, policy, today)]
    link_f, link_l, link_fit = [], [], []
    for seg, members in enumerate(segments):
        rep = np.full(len(open_flats), members[0])
        ok = (
            rules.rent_ok(H, rep, F, open_flats)
            & rules.rooms_ok(H, rep, F, open_flats, policy)
            & rules.area_ok(H, rep, F, open_flats, policy)
            & rules.accessibility_ok(H, rep, F, open_flats)
            & rules.pets_ok(H, rep, F, open_flats)
        )
        flats = open_flats[ok]
        if flats.size == 0:
            continue
        link_f.append(flats)
        link_l.append(seg * n_d + F.district[flats].astype(np.int64))
        link_fit.append(policy.weights.fit * scoring.fit_value(H, rep[: flats.size], F, flats, policy))
    cat = lambda parts, dtype: np.concatenate(parts) if parts else np.empty(0, dtype)  # noqa: E731
    return ListIndex(
        n_districts=n_d,
        entry_household=hh[order],
        entry_t=t[order],
        list_start=list_start,
        list_len=list_len,
        link_flat=cat(link_f, np.int64),
        link_list=cat(link_l, np.int64),
        link_fit=cat(link_fit, np.float64),
    )


def full_candidates(H: HouseholdTable, F: FlatTable, policy: Policy, today: date) -> Candidates:
    """Every eligible pair with its score."""
    idx = build_lists(H, F, policy, today)
    return idx.candidates(idx.list_len.copy())


def urgent_first(index: ListIndex, household_part: np.ndarray, n_flats: int, exclude: set[int]) -> Candidates:
    """Baseline and warm start: households by urgency + waiting time, each taking its best free flat.

    This is how a matching team works by hand. For a household the best free flat of a
    (segment, district) list is the first free one by fit, so each list keeps a pointer into its
    flats sorted by fit; the household compares one candidate per list. `exclude` holds pair keys
    (household * n_flats + flat) that must not be chosen.
    """
    n_lists = len(index.list_start)
    order = np.lexsort((-index.link_fit, index.link_list))
    l_sorted = index.link_list[order]
    flats_of = np.split(index.link_flat[order], np.flatnonzero(np.diff(l_sorted)) + 1) if len(order) else []
    fits_of = np.split(index.link_fit[order], np.flatnonzero(np.diff(l_sorted)) + 1) if len(order) else []
    slot = np.full(n_lists, -1)
    if len(order):
        slot[np.unique(l_sorted)] = np.arange(len(flats_of))
    flats_of = [f.tolist() for f in flats_of]
    fits_of = [f.tolist() for f in fits_of]
    pointer = [0] * len(flats_of)
    # entries of linked lists only, grouped by household
    entry_list = np.repeat(np.arange(n_lists), index.list_len)
    linked = slot[entry_list] >= 0
    eh, el, et = index.entry_household[linked], slot[entry_list[linked]], index.entry_t[linked]
    by_h = np.argsort(eh, kind="stable")
    eh, el, et = eh[by_h], el[by_h], et[by_h]
    starts = np.searchsorted(eh, np.arange(len(household_part)))
    ends = np.searchsorted(eh, np.arange(len(household_part)), side="right")
    taken = bytearray(n_flats)
    out_h, out_f, out_s = [], [], []
    el_l, et_l = el.tolist(), et.tolist()
    for h in np.argsort(-household_part, kind="stable").tolist():
        best, best_flat = -1.0, -1
        for k in range(int(starts[h]), int(ends[h])):
            s = el_l[k]
            flats, fits = flats_of[s], fits_of[s]
            p = pointer[s]
            while p < len(flats) and taken[flats[p]]:
                p += 1
            pointer[s] = p
            q = p
            while q < len(flats) and (taken[flats[q]] or (h * n_flats + flats[q]) in exclude):
                q += 1
            if q < len(flats) and et_l[k] + fits[q] > best:
                best, best_flat = et_l[k] + fits[q], flats[q]
        if best_flat >= 0:
            taken[best_flat] = 1
            out_h.append(h)
            out_f.append(best_flat)
            out_s.append(best)
    return Candidates(np.array(out_h, dtype=np.int64), np.array(out_f, dtype=np.int64), np.array(out_s, dtype=np.float64))


def best_pair_first(index: ListIndex, n_flats: int, exclude: set[int]) -> Candidates:
    """Greedy baseline and warm start: repeatedly take the highest-scoring pair whose household and
    flat are both still free, over ALL eligible pairs, without enumerating them.

    Within a (segment, district) list every household-flat pair is eligible and scores t + fit, so
    the list's best free pair is its best free household with its best free flat; a lazy max-heap
    over lists then yields the global best pair. A pair proposed before (`exclude`, keys household *
    n_flats + flat) is skipped by giving that household the next free flat of the list instead.
    """
    free = _FreePairs(index, n_flats, exclude)
    heap = [(-b[0], l) for l in free.lists if (b := free.best(l)) is not None]
    heapq.heapify(heap)
    out_h, out_f, out_s = [], [], []
    while heap:
        key, l = heapq.heappop(heap)
        b = free.best(l)
        if b is None:
            continue
        if b[0] < -key - 1e-12:  # stale: something was taken since; re-queue with the true value
            heapq.heappush(heap, (-b[0], l))
            continue
        score, h, f = b
        free.take(h, f)
        out_h.append(h)
        out_f.append(f)
        out_s.append(score)
        heapq.heappush(heap, (-score, l))
    return Candidates(np.array(out_h, dtype=np.int64), np.array(out_f, dtype=np.int64), np.array(out_s, dtype=np.float64))


class _FreePairs:
    """best_pair_first's view of the lists: per list its households (best first, from the index) and
    its flats by fit, with pointers to the first free one that only ever move forward."""

    def __init__(self, index: ListIndex, n_flats: int, exclude: set[int]) -> None:
        order = np.lexsort((-index.link_fit, index.link_list))
        l_sorted = index.link_list[order]
        lists = np.unique(l_sorted).tolist()
        cuts = np.flatnonzero(np.diff(l_sorted)) + 1
        self.flats_of = dict(zip(lists, (a.tolist() for a in np.split(index.link_flat[order], cuts)))) if len(order) else {}
        self.fits_of = dict(zip(lists, (a.tolist() for a in np.split(index.link_fit[order], cuts)))) if len(order) else {}
        self.lists = list(self.flats_of)
        self.households = index.entry_household.tolist()
        self.ts = index.entry_t.tolist()
        start = index.list_start.tolist()
        self.end = (index.list_start + index.list_len).tolist()
        self.ph = {l: start[l] for l in self.flats_of}
        self.pf = {l: 0 for l in self.flats_of}
        self.h_taken: set[int] = set()
        self.f_taken = bytearray(n_flats)
        self.n_flats, self.exclude = n_flats, exclude

    def take(self, household: int, flat: int) -> None:
        self.h_taken.add(household)
        self.f_taken[flat] = 1

    def best(self, l: int):
        """(score, household, flat) of list l's best free, allowed pair, or None."""
        households, h_taken, f_taken, end = self.households, self.h_taken, self.f_taken, self.end[l]
        p = self.ph[l]
        while p < end and households[p] in h_taken:
            p += 1
        self.ph[l] = p
        flats, fits = self.flats_of[l], self.fits_of[l]
        q = self.pf[l]
        while q < len(flats) and f_taken[flats[q]]:
            q += 1
        self.pf[l] = q
        if p >= end or q >= len(flats):
            return None
        h, n_flats, exclude = households[p], self.n_flats, self.exclude
        while q < len(flats) and (f_taken[flats[q]] or h * n_flats + flats[q] in exclude):
            q += 1
        if q >= len(flats):
            return None if not exclude else self._next_household(l, p, flats[self.pf[l]], fits[self.pf[l]])
        return self.ts[p] + fits[q], h, flats[q]

    def _next_household(self, l: int, p: int, flat: int, fit: float):
        households, h_taken, exclude, n_flats, end = self.households, self.h_taken, self.exclude, self.n_flats, self.end[l]
        p += 1
        while p < end and (households[p] in h_taken or households[p] * n_flats + flat in exclude):
            p += 1
        return None if p >= end else (self.ts[p] + fit, households[p], flat)
