"""`matching.tenancy.agreed` in both versions (docs/EVENT-CHANGES.md): version 1 as before, version 2
with the referral number as `referral_no`, the pair matching publishes opening one case, and a
version support does not read dead-lettered at once."""

import uuid

import pytest

from support_testing import MONDAY, register, tenancy

AGREED = "matching.tenancy.agreed"


def _v2(v1: dict) -> dict:
    return {**{k: v for k, v in v1.items() if k != "household_reference"}, "referral_no": v1["household_reference"]}


def _cases(client, tokens, household_id):
    return client.get(f"/api/v1/cases?household_id={household_id}", headers=tokens.staff()).json


@pytest.fixture(autouse=True)
def team(client, tokens, clock):
    clock.freeze(MONDAY)
    register(client, tokens, name="Anna", roles=["contact_person"])
    register(client, tokens, name="Ben", roles=["social_worker"])


def test_version_1_alone_still_opens_the_case(handle_event, client, tokens):
    data = tenancy(household_id=str(uuid.uuid4()), household_reference="AS-2026-0101")
    assert handle_event(AGREED, data, source="matching")[0] == "handled"
    [case] = _cases(client, tokens, data["household_id"])
    assert case["referral_no"] == "AS-2026-0101"


def test_version_2_alone_reads_the_referral_number_under_its_new_name(handle_event, client, tokens):
    data = _v2(tenancy(household_id=str(uuid.uuid4()), household_reference="AS-2026-0102"))
    assert "household_reference" not in data
    assert handle_event(AGREED, data, source="matching", version=2)[0] == "handled"
    [case] = _cases(client, tokens, data["household_id"])
    assert case["referral_no"] == "AS-2026-0102"


def test_the_pair_matching_publishes_opens_one_case_from_version_2(handle_event, client, tokens):
    v1 = tenancy(household_id=str(uuid.uuid4()), household_reference="from-v1")
    v2 = {**_v2(v1), "referral_no": "from-v2"}
    assert handle_event(AGREED, v1, source="matching", version=1, published_versions=(1, 2))[0] == "handled"
    assert _cases(client, tokens, v1["household_id"]) == []  # acknowledged, no effect: v2 is the one
    assert handle_event(AGREED, v2, source="matching", version=2, published_versions=(1, 2))[0] == "handled"
    [case] = _cases(client, tokens, v1["household_id"])
    assert case["referral_no"] == "from-v2"


def test_a_version_support_does_not_read_is_dead_lettered(handle_event, client, tokens):
    data = _v2(tenancy(household_id=str(uuid.uuid4())))
    assert handle_event(AGREED, data, source="matching", version=3)[0] == "dead_letter"
    assert _cases(client, tokens, data["household_id"]) == []
