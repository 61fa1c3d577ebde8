"""Staff find a household's cases and the case of a contract; a company only ever its own."""

import uuid

import pytest

from support_testing import MONDAY, deliver, register, tenancy


def open_case(client, db, clock, tokens, **overrides) -> dict:
    data = tenancy(**overrides)
    deliver(db, clock, "matching.tenancy.agreed", data)
    listed = client.get("/api/v1/cases", headers=tokens.staff()).json
    case = next(c for c in listed if (c["household_id"], c["company_id"]) == (data["household_id"], data["company_id"]))
    return {**case, "proposal_id": data["proposal_id"]}


@pytest.fixture
def cases(client, tokens, db, clock):
    clock.freeze(MONDAY)
    register(client, tokens, name="Anna", roles=["contact_person"])
    register(client, tokens, name="Ben", roles=["social_worker"])
    household, mine, other = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    first = open_case(client, db, clock, tokens, household_id=household, company_id=mine,
                      household_reference="AfSuT-2026-0815")
    # the same household housed again by another company, and an unrelated case of the first company
    second = open_case(client, db, clock, tokens, household_id=household, company_id=other,
                       household_reference="AfSuT-2026-0815")
    unrelated = open_case(client, db, clock, tokens, company_id=mine, household_reference="AfSuT-2026-0999")
    contract_id = str(uuid.uuid4())
    deliver(db, clock, "contracts.contract.created", {"contract_id": contract_id, "contract_no": "GV-2026-00001",
                                                       "proposal_id": first["proposal_id"],
                                                       "household_id": household, "company_id": mine})
    return {"household": household, "mine": mine, "other": other, "contract_id": contract_id,
            "first": first, "second": second, "unrelated": unrelated}


def _ids(client, query, headers):
    response = client.get(f"/api/v1/cases?{query}", headers=headers)
    assert response.status_code == 200, response.json
    return sorted(c["id"] for c in response.json)


def test_staff_filter_cases_by_household_and_by_contract(client, tokens, cases):
    staff = tokens.staff()
    assert _ids(client, f"household_id={cases['household']}", staff) == sorted([cases["first"]["id"], cases["second"]["id"]])
    assert _ids(client, f"contract_id={cases['contract_id']}", staff) == [cases["first"]["id"]]
    assert _ids(client, f"household_id={cases['household']}&contract_id={cases['contract_id']}", staff) == [cases["first"]["id"]]
    assert _ids(client, f"household_id={uuid.uuid4()}", staff) == []
    assert _ids(client, f"contract_id={cases['contract_id']}&status=closed", staff) == []


def test_a_case_shows_the_households_referral_number_under_the_one_name(client, tokens, cases):
    assert cases["first"]["referral_no"] == "AfSuT-2026-0815"
    assert cases["first"]["reference"].startswith("SUP-")  # the case's own reference stays as it was
    [own] = [c for c in client.get("/api/v1/cases", headers=tokens.company(cases["mine"])).json
             if c["id"] == cases["first"]["id"]]
    assert own["referral_no"] == "AfSuT-2026-0815"
    detail = client.get(f"/api/v1/cases/{cases['first']['id']}", headers=tokens.staff()).json
    assert detail["referral_no"] == "AfSuT-2026-0815"
    staff = tokens.staff()
    assert _ids(client, "referral_no=AfSuT-2026-0815", staff) == sorted([cases["first"]["id"], cases["second"]["id"]])
    assert _ids(client, "referral_no=AfSuT-2026-0815", tokens.company(cases["mine"])) == [cases["first"]["id"]]


def test_a_company_filters_within_its_own_cases_only(client, tokens, cases):
    company = tokens.company(cases["mine"])
    assert _ids(client, f"household_id={cases['household']}", company) == [cases["first"]["id"]]
    assert _ids(client, f"contract_id={cases['contract_id']}", company) == [cases["first"]["id"]]
    # the other company's case of the same household stays invisible
    assert _ids(client, f"household_id={cases['household']}", tokens.company(cases["other"])) == [cases["second"]["id"]]
    assert _ids(client, f"contract_id={cases['contract_id']}", tokens.company(cases["other"])) == []


@pytest.mark.parametrize("query,field", [("household_id=42", "household_id"), ("contract_id=GV-2026-1", "contract_id")])
def test_a_bad_lookup_is_422_naming_the_parameter(client, tokens, query, field):
    response = client.get(f"/api/v1/cases?{query}", headers=tokens.staff())
    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/problem+json"
    assert field in response.json["errors"]["query"]


def test_the_lookups_are_in_the_openapi_document(client):
    parameters = {p["name"] for p in client.get("/openapi.json").json["paths"]["/api/v1/cases"]["get"]["parameters"]}
    assert {"household_id", "contract_id", "referral_no"} <= parameters
