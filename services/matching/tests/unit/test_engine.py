import dataclasses
import time
from datetime import timedelta
from itertools import permutations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching.domain import assignment, engine, rules, scoring
from matching.domain.candidates import best_pair_first, build_lists, full_candidates, urgent_first
from matching.domain.policy import Assignment
from tests.unit.factories import POLICY, TODAY, Needs, flat, household, tables

DISTRICTS = ["Mitte", "Ost", "Vaihingen"]

households_st = st.builds(
    lambda i, adults, children, urg, days, needs, pets, pref, excl, override: household(
        id=f"h{i}", adults=adults, children=children, urgency=urg, referred_on=TODAY - timedelta(days=days),
        needs=needs, has_pets=pets, preferred_districts=frozenset(pref), excluded_districts=frozenset(excl),
        rent_limit_override_cents=override,
    ),
    st.integers(0, 10**6),
    st.integers(1, 2),
    st.integers(0, 2),
    st.sampled_from([u.key for u in POLICY.urgency_levels]),
    st.integers(0, 1000),
    st.builds(Needs, st.booleans(), st.booleans(), st.booleans()),
    st.booleans(),
    st.sets(st.sampled_from(DISTRICTS), max_size=2),
    st.sets(st.sampled_from(DISTRICTS), max_size=1),
    st.one_of(st.none(), st.integers(40_000, 90_000)),
)
flats_st = st.builds(
    lambda i, d, rooms, area, floor, lift, bf, wc, rent, days, pets: flat(
        id=f"f{i}", district=d, rooms=rooms, area_m2=area, floor=floor, lift=lift, barrier_free=bf or wc,
        wheelchair_accessible=wc, cold_rent_cents=rent, available_from=TODAY + timedelta(days=days), pets_allowed=pets,
    ),
    st.integers(0, 10**6),
    st.sampled_from(DISTRICTS),
    st.sampled_from([1.0, 2.0, 3.0, 4.0]),
    st.sampled_from([30.0, 50.0, 70.0, 90.0]),
    st.integers(0, 3),
    st.booleans(),
    st.booleans(),
    st.booleans(),
    st.integers(40_000, 90_000),
    st.integers(-10, 100),
    st.booleans(),
)


def unique_ids(items):
    seen, out = set(), []
    for x in items:
        if x.id not in seen:
            seen.add(x.id)
            out.append(x)
    return out


instances = st.tuples(
    st.lists(households_st, min_size=0, max_size=6).map(unique_ids),
    st.lists(flats_st, min_size=0, max_size=5).map(unique_ids),
)


def brute_force(weight: np.ndarray) -> float:
    """Best total over every assignment of flats to distinct households (or to nobody)."""
    n_h, n_f = weight.shape
    best = 0.0
    slots = list(range(n_h)) + [None] * n_f
    for perm in set(permutations(slots, n_f)):
        total = sum(weight[h, f] for f, h in enumerate(perm) if h is not None and weight[h, f] > -1)
        best = max(best, total)
    return best


def dense(H, F, policy=POLICY):
    hi, fi = np.meshgrid(np.arange(len(H)), np.arange(len(F)), indexing="ij")
    ok = rules.eligible(H, hi.ravel(), F, fi.ravel(), policy, TODAY).reshape(len(H), len(F))
    score = scoring.scores(H, hi.ravel(), F, fi.ravel(), policy, TODAY).reshape(len(H), len(F))
    return np.where(ok, score, -np.inf)


PRUNING = dataclasses.replace(POLICY, assignment=Assignment(candidates_per_list=1))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances, st.sampled_from([POLICY, PRUNING]))
def test_run_is_optimal_and_only_proposes_eligible_pairs(instance, policy):
    hs, fs = instance
    H, F = tables(hs, fs, policy)
    W = dense(H, F, policy)
    result = engine.run(H, F, policy, TODAY)
    assert result.certified_optimal
    # each household and each flat at most once
    assert len(set(result.household.tolist())) == len(result.household)
    assert len(set(result.flat.tolist())) == len(result.flat)
    for h, f, s in zip(result.household, result.flat, result.score):
        assert np.isfinite(W[h, f]), "an ineligible pair was proposed"
        assert abs(W[h, f] - s) < 1e-9
    assert abs(result.total_score - brute_force(W)) < 1e-6


@settings(max_examples=60, deadline=None)
@given(instances)
def test_candidates_are_exactly_the_eligible_pairs_with_their_scores(instance):
    hs, fs = instance
    H, F = tables(hs, fs)
    W = dense(H, F)
    c = full_candidates(H, F, POLICY, TODAY)
    got = {(int(h), int(f)): s for h, f, s in zip(c.household, c.flat, c.score)}
    want = {(h, f): W[h, f] for h, f in zip(*np.nonzero(np.isfinite(W)))}
    assert got.keys() == want.keys()
    assert all(abs(got[k] - want[k]) < 1e-9 for k in got)


@settings(max_examples=60, deadline=None)
@given(instances, st.data())
def test_a_pair_already_proposed_is_never_proposed_again(instance, data):
    hs, fs = instance
    H, F = tables(hs, fs)
    W = dense(H, F)
    eligible = [(str(H.ids[h]), str(F.ids[f])) for h, f in zip(*np.nonzero(np.isfinite(W)))]
    history = data.draw(st.sets(st.sampled_from(eligible))) if eligible else set()
    result = engine.run(H, F, POLICY, TODAY, previously_proposed=history)
    chosen = {(m.household_id, m.flat_id) for m in result.matches(H, F)}
    assert not chosen & history
    for h, f in history:
        W[list(H.ids).index(h), list(F.ids).index(f)] = -np.inf
    assert abs(result.total_score - brute_force(W)) < 1e-6


def test_global_assignment_beats_best_pair_first():
    # Greedy gives the urgent household the flat both want; the optimum houses both.
    hs = [
        household(id="urgent", urgency="emergency_accommodation", has_pets=False),
        household(id="other", urgency="inadequate_housing", has_pets=True),
    ]
    fs = [flat(id="no-pets", pets_allowed=False), flat(id="pets-ok", pets_allowed=True)]
    H, F = tables(hs, fs)
    result = engine.run(H, F, POLICY, TODAY)
    assert {(m.household_id, m.flat_id) for m in result.matches(H, F)} == {("urgent", "no-pets"), ("other", "pets-ok")}


def test_household_without_any_eligible_flat_does_not_break_the_run():
    hs = [household(id="a"), household(id="b", has_pets=True)]
    H, F = tables(hs, [flat(id="x", pets_allowed=False)])
    result = engine.run(H, F, POLICY, TODAY)
    assert [m.household_id for m in result.matches(H, F)] == ["a"]


def test_solver_rejects_nan_scores():
    import pytest

    with pytest.raises(ValueError):
        assignment.solve(np.array([0]), np.array([0]), np.array([np.nan]))


NO_TIME = dataclasses.replace(POLICY, assignment=Assignment(candidates_per_list=1, time_budget_s=0.0))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances)
def test_a_run_out_of_time_is_honest_about_it(instance):
    hs, fs = instance
    H, F = tables(hs, fs, NO_TIME)
    W = dense(H, F, NO_TIME)
    best = brute_force(W)
    result = engine.run(H, F, NO_TIME, TODAY)
    # never an ineligible pair, never below the urgent-first start, and the bound really bounds
    assert all(np.isfinite(W[h, f]) for h, f in zip(result.household, result.flat))
    assert len(set(result.flat.tolist())) == len(result.flat) and len(set(result.household.tolist())) == len(result.household)
    assert result.total_score <= best + 1e-6 <= result.upper_bound + 2e-6
    if result.certified_optimal:
        assert abs(result.total_score - best) < 1e-6
    warm = best_pair_first(build_lists(H, F, NO_TIME, TODAY), len(F), set())
    assert result.total_score >= float(warm.score.sum()) - 1e-6


@settings(max_examples=100, deadline=None)
@given(instances)
def test_best_pair_first_always_takes_the_best_free_pair_until_none_is_left(instance):
    hs, fs = instance
    H, F = tables(hs, fs)
    W = dense(H, F)
    picks = best_pair_first(build_lists(H, F, POLICY, TODAY), len(F), set())
    free = np.isfinite(W)
    for h, f, s in zip(picks.household, picks.flat, picks.score):
        assert free[h, f] and abs(s - W[h, f]) < 1e-9
        assert s >= W[free].max() - 1e-9
        free[h, :] = False
        free[:, f] = False
    assert not free.any()
    scores = W[np.isfinite(W)]
    greedy = assignment.greedy(*np.nonzero(np.isfinite(W)), scores)
    if len(np.unique(scores)) == len(scores):  # with ties, both may break them differently
        assert len(greedy) == len(picks)


@settings(max_examples=60, deadline=None)
@given(instances)
def test_urgent_first_serves_households_in_priority_order(instance):
    hs, fs = instance
    H, F = tables(hs, fs)
    W = dense(H, F)
    base = scoring.household_part(H, POLICY, TODAY)
    picks = urgent_first(build_lists(H, F, POLICY, TODAY), base, len(F), set())
    taken = set()
    chosen = dict(zip(picks.household.tolist(), picks.flat.tolist()))
    for h in np.argsort(-base, kind="stable"):
        options = [f for f in range(len(F)) if np.isfinite(W[h, f]) and f not in taken]
        if options:
            assert h in chosen and abs(W[h, chosen[h]] - max(W[h, f] for f in options)) < 1e-9
            taken.add(chosen[h])
        else:
            assert h not in chosen


def random_instance(seed: int, n_households: int = 150, n_flats: int = 50):
    rng = np.random.default_rng(seed)
    levels = [u.key for u in POLICY.urgency_levels]

    def districts(k_max):
        return frozenset(rng.choice(DISTRICTS, size=int(rng.integers(0, k_max + 1)), replace=False).tolist())

    hs = [
        household(
            id=f"h{i}", adults=int(rng.integers(1, 3)), children=int(rng.integers(0, 3)), urgency=str(rng.choice(levels)),
            referred_on=TODAY - timedelta(days=int(rng.integers(0, 1000))), has_pets=bool(rng.random() < 0.3),
            preferred_districts=districts(2), excluded_districts=districts(1),
        )
        for i in range(n_households)
    ]
    fs = [
        flat(
            id=f"f{j}", district=str(rng.choice(DISTRICTS)), rooms=float(rng.choice([1.0, 2.0, 3.0, 4.0])),
            area_m2=float(rng.choice([30.0, 50.0, 70.0, 90.0])), cold_rent_cents=int(rng.integers(30_000, 90_000)),
            pets_allowed=bool(rng.random() < 0.5), available_from=TODAY,
        )
        for j in range(n_flats)
    ]
    return tables(hs, fs)


def exact_optimum(W: np.ndarray) -> float:
    h, f = np.nonzero(np.isfinite(W))
    return float(W[h, f][assignment.solve(h, f, W[h, f])].sum())


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10**6), st.integers(0, 3))
def test_list_prices_always_bound_the_exact_optimum(seed, kind):
    from matching.domain.bound import ListDual

    H, F = random_instance(seed)
    W = dense(H, F)
    best = exact_optimum(W)
    index = build_lists(H, F, POLICY, TODAY)
    lists = ListDual(index, len(H), len(F))
    rng = np.random.default_rng(seed)
    n_lists = len(index.list_start)
    if kind == 0:
        w = rng.normal(0.0, 30.0, n_lists)
    elif kind == 1:
        w = lists.prices_from(rng.exponential(10.0, len(H)) * (rng.random(len(H)) < 0.5))
    else:  # what a pruned solve hands over, refined
        sub = index.candidates(np.full(n_lists, 1 + kind))
        chosen = assignment.solve(sub.household, sub.flat, sub.score)
        d = assignment.duals(sub.household, sub.flat, sub.score, chosen, len(H), len(F))
        w = lists.prices_from(np.zeros(len(H)) if d is None else d[0])
    assert lists.value(w) >= best - 1e-6
    refined, w2, _ = lists.refine(w, time.perf_counter() + 2.0)
    assert best - 1e-6 <= refined <= lists.value(w) + 1e-9
    assert abs(lists.value(w2) - refined) < 1e-9
    tight = lists.tight_pairs(w2, 8)
    assert all(np.isfinite(W[h, f]) and abs(W[h, f] - s) < 1e-9 for h, f, s in zip(tight.household, tight.flat, tight.score))


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10**6), st.booleans())
def test_a_run_priced_after_pruning_is_valid_and_its_bound_holds(seed, with_history):
    H, F = random_instance(seed)
    W = dense(H, F)
    index = build_lists(H, F, POLICY, TODAY)
    rng = np.random.default_rng(seed)
    h, f = np.nonzero(np.isfinite(W))
    pick = rng.random(len(h)) < (0.2 if with_history else 0.0)
    exclude = np.unique(h[pick] * len(F) + f[pick]).astype(np.int64)
    W[h[pick], f[pick]] = -np.inf
    best = exact_optimum(W)
    warm = best_pair_first(index, len(F), set(exclude.tolist()))
    sub = engine._union(engine.without(index.candidates(np.ones(len(index.list_start), np.int64)), exclude, len(F)),
                        warm, len(F))
    chosen = assignment.solve(sub.household, sub.flat, sub.score)
    d = assignment.duals(sub.household, sub.flat, sub.score, chosen, len(H), len(F))
    now = time.perf_counter()
    a = engine._by_prices(index, len(H), len(F), exclude, warm, sub, chosen, np.zeros(len(H)) if d is None else d[0],
                          float("inf"), 0.0, 1, now + 3.0)
    picked = a.pairs.take(a.chosen)
    assert len(set(picked.household.tolist())) == len(picked) and len(set(picked.flat.tolist())) == len(picked)
    assert all(np.isfinite(W[h, f]) and abs(W[h, f] - s) < 1e-9 for h, f, s in zip(picked.household, picked.flat, picked.score))
    total = float(picked.score.sum())
    assert total >= float(sub.score[chosen].sum()) - 1e-9
    assert total <= best + 1e-6 <= a.upper_bound + 2e-6
    if a.certified:
        assert abs(total - best) < 1e-6
