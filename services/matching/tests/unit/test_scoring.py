from datetime import timedelta

from matching.domain import scoring
from tests.unit.factories import POLICY, TODAY, Needs, flat, household, tables


def bd(h, f):
    H, F = tables([h], [f])
    b = scoring.breakdown(H, 0, F, 0, POLICY, TODAY)
    return b, {c.name: c for c in b.components}


def test_breakdown_adds_up_to_the_total_and_matches_the_vectorised_score():
    h, f = household(preferred_districts=frozenset({"Mitte"})), flat()
    b, comps = bd(h, f)
    H, F = tables([h], [f])
    assert abs(b.total - sum(c.points for c in b.components)) < 1e-9
    assert abs(b.total - scoring.scores(H, [0], F, [0], POLICY, TODAY)[0]) < 1e-9
    assert set(comps) == {"urgency", "waiting_time", "district_preference", "fit"}


def test_more_urgent_scores_higher():
    f = flat()
    low = bd(household(urgency="inadequate_housing"), f)[0].total
    high = bd(household(urgency="emergency_accommodation"), f)[0].total
    assert high > low


def test_waiting_time_grows_then_saturates():
    full = POLICY.scoring.waiting_time_full_after_days
    w = lambda days: bd(household(referred_on=TODAY - timedelta(days=days)), flat())[1]["waiting_time"].value  # noqa: E731
    assert w(0) == 0 and 0 < w(full // 2) < 1 and w(full) == 1 and w(full * 3) == 1


def test_district_preference_ranks_preferred_over_indifferent_over_other():
    f = flat(district="Ost")
    pref = bd(household(preferred_districts=frozenset({"Ost"})), f)[1]["district_preference"].points
    none = bd(household(), f)[1]["district_preference"].points
    other = bd(household(preferred_districts=frozenset({"West"})), f)[1]["district_preference"].points
    assert pref > none > other


def test_wheelchair_flat_is_worth_less_to_a_household_that_does_not_need_it():
    f = flat(wheelchair_accessible=True, barrier_free=True)
    needs = bd(household(needs=Needs(wheelchair=True, barrier_free=True)), f)[1]["fit"].value
    no_needs = bd(household(), f)[1]["fit"].value
    assert needs > no_needs


def test_oversized_flat_fits_worse():
    small = bd(household(), flat(rooms=1, area_m2=40))[1]["fit"].value
    big = bd(household(), flat(rooms=2.5, area_m2=60, cold_rent_cents=40_000))[1]["fit"].value
    assert small > big
