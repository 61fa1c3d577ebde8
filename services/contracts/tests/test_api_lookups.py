"""What a company knows from matching finds its contract and tenancy: the proposal, the household,
the referral number. Signing needs no `party`: the token decides."""

import uuid

import pytest
from sqlalchemy import func, select

from servicekit.db import audit_log, outbox


def _count(db, table):
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(table))


@pytest.fixture
def two_companies(world):
    mine, other = world.company(), world.company()
    household = str(uuid.uuid4())
    a = world.contract(mine, household_id=household, household_reference="AfSuT-2026-0815")
    b = world.contract(mine, active=False)
    # the same household later housed by another company: its contract must stay invisible to mine
    c = world.contract(other, household_id=household, household_reference="AfSuT-2026-0815")
    return mine, other, household, a, b, c


@pytest.mark.parametrize("path", ["/api/v1/contracts", "/api/v1/tenancies"])
def test_a_company_finds_by_proposal_household_and_referral_number_only_its_own(world, two_companies, path):
    mine, other, household, a, b, c = two_companies
    headers = world.tokens.company(mine)

    def ids(query, who=headers):
        response = world.client.get(f"{path}?{query}", headers=who)
        assert response.status_code == 200, response.json
        return [row["id"] for row in response.json]

    def own(contract):
        return contract["id"] if path.endswith("contracts") else contract["tenancy"]["id"]

    assert ids(f"proposal_id={a['tenancy']['proposal_id']}") == [own(a)]
    assert ids(f"proposal_id={b['tenancy']['proposal_id']}") == [own(b)]
    assert ids(f"household_id={household}") == [own(a)]
    assert ids("referral_no=AfSuT-2026-0815") == [own(a)]
    # another company's proposal is not found, exactly like an unknown one
    assert ids(f"proposal_id={c['tenancy']['proposal_id']}") == []
    assert ids(f"proposal_id={uuid.uuid4()}") == []
    assert ids(f"household_id={household}&company_id={other}") == []
    # staff see the household's contracts with both companies; filters combine
    assert sorted(ids(f"household_id={household}", world.tokens.staff())) == sorted([own(a), own(c)])
    assert ids(f"household_id={household}&company_id={other}", world.tokens.staff()) == [own(c)]
    assert ids(f"proposal_id={a['tenancy']['proposal_id']}&household_id={uuid.uuid4()}") == []


@pytest.mark.parametrize("path", ["/api/v1/contracts", "/api/v1/tenancies"])
@pytest.mark.parametrize("query,field", [("proposal_id=not-a-uuid", "proposal_id"),
                                         ("household_id=42", "household_id"),
                                         ("referral_no=", "referral_no")])
def test_a_bad_lookup_is_422_naming_the_parameter(world, path, query, field):
    response = world.client.get(f"{path}?{query}", headers=world.tokens.company(world.company()))
    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/problem+json"
    assert field in response.json["errors"]["query"]


def test_the_referral_number_has_one_name_and_the_old_one_stays(world, two_companies):
    mine, _other, _household, a, _b, _c = two_companies
    [contract] = world.client.get("/api/v1/contracts?referral_no=AfSuT-2026-0815",
                                  headers=world.tokens.company(mine)).json
    assert contract["referral_no"] == contract["household_reference"] == "AfSuT-2026-0815"
    assert contract["tenancy"]["referral_no"] == contract["tenancy"]["household_reference"] == "AfSuT-2026-0815"
    old = world.client.get("/api/v1/contracts?household_reference=AfSuT-2026-0815", headers=world.tokens.company(mine))
    assert [c["id"] for c in old.json] == [a["id"]]
    # finance's projection names no household, under either name
    as_finance = world.client.get(f"/api/v1/contracts/{a['id']}", headers=world.tokens.finance()).json
    assert "referral_no" not in as_finance and "household_reference" not in as_finance


def test_the_openapi_document_names_the_lookups_and_marks_the_old_name_deprecated(client):
    spec = client.get("/openapi.json").json
    contracts = {p["name"]: p for p in spec["paths"]["/api/v1/contracts"]["get"]["parameters"]}
    tenancies = {p["name"]: p for p in spec["paths"]["/api/v1/tenancies"]["get"]["parameters"]}
    assert {"proposal_id", "household_id", "referral_no"} <= set(contracts) & set(tenancies)
    assert contracts["household_reference"].get("deprecated") is True
    ref = spec["paths"]["/api/v1/contracts/{contract_id}"]["get"]["responses"]["200"]["content"]["application/json"]
    schema = spec["components"]["schemas"][ref["schema"]["$ref"].rsplit("/", 1)[1]]["properties"]
    assert schema["household_reference"].get("deprecated") is True and "referral_no" in schema
    sign = spec["paths"]["/api/v1/contracts/{contract_id}/sign"]["post"]
    assert sign["requestBody"].get("required", False) is False


@pytest.mark.parametrize("body", [None, {}])
def test_signing_without_party_signs_for_the_side_the_token_is(world, body):
    company = world.company()
    contract = world.contract(company, active=False)
    url = f"/api/v1/contracts/{contract['id']}/sign"
    kwargs = {} if body is None else {"json": body}
    city = world.client.post(url, headers=world.tokens.staff(), **kwargs)
    assert city.status_code == 200, city.json
    assert city.json["city_signature"]["signed_by"] == "test-staff" and city.json["company_signature"] is None
    both = world.client.post(url, headers=world.tokens.company(company), **kwargs)
    assert both.status_code == 200, both.json
    assert both.json["state"] == "active" and both.json["company_signature"]["signed_at"]


def test_a_party_that_is_not_the_token_is_still_403_and_writes_nothing(world, db):
    company = world.company()
    contract = world.contract(company, active=False)
    url = f"/api/v1/contracts/{contract['id']}/sign"
    stranger = world.tokens.company(world.company())
    before = (_count(db, outbox), _count(db, audit_log))
    assert world.client.post(url, json={"party": "city"}, headers=world.tokens.company(company)).status_code == 403
    assert world.client.post(url, json={"party": "company"}, headers=world.tokens.staff()).status_code == 403
    # another company's token: the contract is not there for it, with or without a party
    assert world.client.post(url, headers=stranger).status_code == 404
    assert world.client.post(url, json={}, headers=world.tokens.finance()).status_code == 403
    bad = world.client.post(url, json={"party": "household"}, headers=world.tokens.staff())
    assert bad.status_code == 422 and "party" in bad.json["errors"]["json"]
    assert (_count(db, outbox), _count(db, audit_log)) == before
    # staff recording the city's signature explicitly works as before
    assert world.client.post(url, json={"party": "city"}, headers=world.tokens.staff()).status_code == 200
