from datetime import date, timedelta

import pytest
from hypothesis import given, strategies as st

from support.domain.assignment import AssignmentPolicy, choose_caseworker, choose_team, rank_candidates
from support.domain.errors import NoCaseworkerAvailable
from support.domain.model import Role

from .helpers import worker

TODAY = date(2026, 3, 2)
CP = Role.CONTACT_PERSON
SW = Role.SOCIAL_WORKER


def test_lowest_load_against_capacity_wins_not_lowest_count():
    full_timer = worker("cw-full", max_cases=40)
    part_timer = worker("cw-part", max_cases=10)
    # 12/40 = 30 % beats 4/10 = 40 % although 12 > 4
    chosen = choose_caseworker([part_timer, full_timer], CP, {"cw-full": 12, "cw-part": 4}, TODAY)
    assert chosen.id == "cw-full"


def test_caseworker_at_capacity_is_never_chosen():
    at_capacity = worker("cw-a", max_cases=5)
    other = worker("cw-b", max_cases=50)
    assert choose_caseworker([at_capacity, other], CP, {"cw-a": 5, "cw-b": 45}, TODAY).id == "cw-b"
    with pytest.raises(NoCaseworkerAvailable):
        choose_caseworker([at_capacity], CP, {"cw-a": 5}, TODAY)


def test_nobody_absent_in_the_coming_weeks():
    away_soon = worker("cw-a", absences=[(TODAY + timedelta(days=10), TODAY + timedelta(days=24))])
    back_already = worker("cw-b", absences=[(TODAY - timedelta(days=30), TODAY - timedelta(days=1))])
    assert choose_caseworker([away_soon, back_already], CP, {"cw-b": 20}, TODAY).id == "cw-b"
    # an absence beyond the look-ahead does not count
    later = worker("cw-c", absences=[(TODAY + timedelta(days=60), TODAY + timedelta(days=70))])
    assert choose_caseworker([later, back_already], CP, {"cw-b": 20}, TODAY).id == "cw-c"
    with pytest.raises(NoCaseworkerAvailable):
        choose_caseworker([away_soon], CP, {}, TODAY, policy=AssignmentPolicy(lookahead_days=14))


def test_district_specialists_first_then_citywide_staff():
    cannstatt = worker("cw-a", districts=["Bad Cannstatt"])
    citywide = worker("cw-b")
    loads = {"cw-a": 20, "cw-b": 0}
    assert choose_caseworker([cannstatt, citywide], CP, loads, TODAY, district="Bad Cannstatt").id == "cw-a"
    assert choose_caseworker([cannstatt, citywide], CP, loads, TODAY, district="Vaihingen").id == "cw-b"
    assert choose_caseworker([cannstatt], CP, loads, TODAY, district=None).id == "cw-a"
    with pytest.raises(NoCaseworkerAvailable):
        choose_caseworker([cannstatt], CP, loads, TODAY, district="Vaihingen")


def test_role_is_respected():
    only_social = worker("cw-a", roles=[SW])
    with pytest.raises(NoCaseworkerAvailable):
        choose_caseworker([only_social], CP, {}, TODAY)


def test_team_is_two_people_when_possible_and_one_when_not():
    a, b = worker("cw-a"), worker("cw-b")
    team = choose_team([a, b], {}, TODAY)
    assert (team.contact_person.id, team.social_worker.id) == ("cw-a", "cw-b")
    alone = choose_team([a], {}, TODAY)
    assert alone.contact_person.id == alone.social_worker.id == "cw-a"


@given(
    loads=st.lists(st.integers(0, 9), min_size=2, max_size=8),
    caps=st.lists(st.integers(1, 10), min_size=8, max_size=8),
    data=st.data(),
)
def test_choice_is_deterministic_and_ignores_input_order(loads, caps, data):
    people = [worker(f"cw-{i}", max_cases=caps[i]) for i in range(len(loads))]
    load_map = {p.id: n for p, n in zip(people, loads)}
    shuffled = data.draw(st.permutations(people))
    ranked = rank_candidates(people, CP, load_map, TODAY)
    assert [p.id for p in rank_candidates(shuffled, CP, load_map, TODAY)] == [p.id for p in ranked]
    assert all(load_map[p.id] < p.max_cases for p in ranked)
    ratios = [load_map[p.id] / p.max_cases for p in ranked]
    assert ratios == sorted(ratios)


def test_one_person_in_both_roles_is_not_counted_twice_against_capacity():
    solo = worker("cw-a", max_cases=2)
    team = choose_team([solo], {"cw-a": 1}, TODAY)
    assert team.contact_person.id == team.social_worker.id == "cw-a"
    with pytest.raises(NoCaseworkerAvailable):
        choose_team([solo], {"cw-a": 2}, TODAY)
    with pytest.raises(NoCaseworkerAvailable):
        choose_team([worker("cw-c", roles=[CP])], {}, TODAY)
