from datetime import timedelta

import pytest

from matching.domain import rules
from tests.unit.factories import POLICY, TODAY, Needs, flat, household, tables


def verdict(h, f):
    H, F = tables([h], [f])
    return {r.rule: r for r in rules.explain_pair(H, 0, F, 0, POLICY, TODAY)}


def failed(h, f):
    return {name for name, r in verdict(h, f).items() if not r.passed}


def test_a_plain_pair_passes_every_rule():
    assert failed(household(), flat()) == set()


@pytest.mark.parametrize(
    "size,rent,ok",
    [(1, 52_500, True), (1, 52_501, False), (2, 61_800, True), (2, 61_801, False), (6, 119_100, True), (7, 134_000, True), (7, 134_001, False)],
)
def test_cold_rent_limit_follows_the_city_table_at_its_edges(size, rent, ok):
    rooms = {1: 1, 2: 2, 6: 5, 7: 6}[size]
    h = household(adults=1, children=size - 1)
    f = flat(rooms=rooms, area_m2=200, cold_rent_cents=rent)
    assert ("rent" in failed(h, f)) is (not ok)


def test_rent_reason_names_both_amounts():
    r = verdict(household(), flat(cold_rent_cents=56_000))["rent"]
    assert not r.passed and "560.00 EUR" in r.reason and "525.00 EUR" in r.reason


def test_override_replaces_the_table_limit_for_that_household_only():
    f = flat(cold_rent_cents=56_000)
    assert "rent" not in failed(household(rent_limit_override_cents=56_000), f)
    assert "rent" in failed(household(rent_limit_override_cents=55_999), f)
    assert "rent" in failed(household(), f)


def test_service_charges_do_not_count_against_the_cold_rent_limit():
    # Flat has no service-charge field in the rule at all: the city judges them separately.
    assert "rent" not in failed(household(), flat(cold_rent_cents=52_500))


@pytest.mark.parametrize("rooms,ok", [(1.0, True), (2.5, True), (3.0, False)])
def test_rooms_norm_for_one_person(rooms, ok):
    assert ("rooms" in failed(household(), flat(rooms=rooms, cold_rent_cents=30_000))) is (not ok)


def test_rooms_norm_lower_edge_for_three_persons():
    h = household(adults=2, children=1)
    assert "rooms" in failed(h, flat(rooms=2.5, area_m2=80, cold_rent_cents=60_000))
    assert "rooms" not in failed(h, flat(rooms=3, area_m2=80, cold_rent_cents=60_000))


@pytest.mark.parametrize("area,ok", [(19.9, False), (20.0, True)])
def test_minimum_area_for_one_person(area, ok):
    assert ("living_area" in failed(household(), flat(area_m2=area))) is (not ok)


@pytest.mark.parametrize(
    "needs,flat_kw,ok",
    [
        (Needs(wheelchair=True, barrier_free=True), dict(barrier_free=True), False),
        (Needs(wheelchair=True, barrier_free=True), dict(wheelchair_accessible=True), True),
        (Needs(barrier_free=True), dict(), False),
        (Needs(barrier_free=True), dict(barrier_free=True), True),
        (Needs(barrier_free=True), dict(wheelchair_accessible=True), True),
        (Needs(ground_floor_or_lift=True), dict(floor=0), True),
        (Needs(ground_floor_or_lift=True), dict(floor=1), False),
        (Needs(ground_floor_or_lift=True), dict(floor=4, lift=True), True),
        (Needs(), dict(floor=4), True),
    ],
)
def test_accessibility_needs(needs, flat_kw, ok):
    assert ("accessibility" in failed(household(needs=needs), flat(**flat_kw))) is (not ok)


def test_accessibility_reason_says_what_is_missing():
    r = verdict(household(needs=Needs(ground_floor_or_lift=True)), flat(floor=3))["accessibility"]
    assert "floor 3" in r.reason


def test_available_date_horizon_edge():
    edge = TODAY + timedelta(days=POLICY.horizon_days)
    assert "available_date" not in failed(household(), flat(available_from=edge))
    assert "available_date" in failed(household(), flat(available_from=edge + timedelta(days=1)))


def test_pets():
    assert "pets" in failed(household(has_pets=True), flat(pets_allowed=False))
    assert "pets" not in failed(household(has_pets=True), flat(pets_allowed=True))
    assert "pets" not in failed(household(has_pets=False), flat(pets_allowed=False))


def test_excluded_district():
    h = household(excluded_districts=frozenset({"Mitte", "Vaihingen"}))
    assert "excluded_district" in failed(h, flat(district="Mitte"))
    assert "excluded_district" not in failed(h, flat(district="Ost"))


def test_several_failures_are_all_reported():
    f = flat(cold_rent_cents=90_000, pets_allowed=False, district="Mitte")
    h = household(has_pets=True, excluded_districts=frozenset({"Mitte"}))
    assert failed(h, f) == {"rent", "pets", "excluded_district"}
