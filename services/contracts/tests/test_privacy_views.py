"""Purpose-bound views and the access log: each role receives the fields its task needs, and every
answer that hands a household's personal data to a person is logged (who, household, purpose) for
the data protection officer."""

import io

import pypdf
import pytest
from sqlalchemy import select

from servicekit.db.tables import access_log

FIGURES = {"id", "contract_no", "state", "company_id", "term_start", "term_end", "covered_until",
           "monthly_covered_rent_cents", "coverage", "config_version", "city_signature", "company_signature",
           "activated_at", "expiry_notices_sent", "ended_on", "termination_reason", "created_at", "updated_at"}


@pytest.fixture
def setup(world):
    company = world.company()
    contract = world.contract(company)
    claim = world.claim(contract, kind="damage_repairs", amount=10_000)
    incident = world.client.post(f"/api/v1/contracts/{contract['id']}/incidents", json={
        "kind": "damage", "severity": "low", "description": "Wasserschaden im Bad"},
        headers=world.tokens.company(company)).json
    world.client.post(f"/api/v1/contracts/{contract['id']}/terminate", headers=world.tokens.staff(), json={
        "reason": "other", "effective_on": "2027-06-30", "note": "Haushalt zieht zur Tochter"})
    _clear_log(world.db)
    return world, company, contract, claim, incident


def _clear_log(db):
    with db.engine.begin() as conn:
        conn.execute(access_log.delete())


def _log(db):
    with db.session() as s:
        return [(r.actor_role, r.household_id, r.purpose) for r in s.execute(
            select(access_log).order_by(access_log.c.id)).all()]


def test_each_role_gets_its_projection_of_a_contract(setup):
    world, company, contract, _, _ = setup
    url = f"/api/v1/contracts/{contract['id']}"
    staff = world.client.get(url, headers=world.tokens.staff()).json
    assert staff["termination_note"] == "Haushalt zieht zur Tochter"
    assert staff["tenancy"]["household"] == {"name": "Familie Müller", "email": "mueller@example.org",
                                             "phone": "0711 123", "size": 3}

    own = world.client.get(url, headers=world.tokens.company(company)).json
    assert own["tenancy"]["household"]["name"] == "Familie Müller"  # the landlord's tenancy needs it
    assert "termination_note" not in own

    finance = world.client.get(url, headers=world.tokens.finance()).json
    assert set(finance) == FIGURES
    listed = world.client.get("/api/v1/contracts", headers=world.tokens.finance()).json
    assert [set(c) for c in listed] == [FIGURES]


def test_finance_sees_rent_figures_of_a_tenancy_and_no_incident_text(setup):
    world, company, _, _, incident = setup
    [tenancy] = world.client.get("/api/v1/tenancies", headers=world.tokens.finance()).json
    assert set(tenancy) == {"id", "company_id", "flat_id", "lease_start", "cold_rent_cents",
                            "service_charges_cents", "heating_cents"}
    [own] = world.client.get("/api/v1/tenancies", headers=world.tokens.company(company)).json
    assert own["household"]["email"] == "mueller@example.org" and own["address"]["street"] == "Böblinger Straße 12"
    read = world.client.get(f"/api/v1/incidents/{incident['id']}", headers=world.tokens.finance()).json
    assert "description" not in read and read["severity"] == "low"
    assert world.client.get(f"/api/v1/incidents/{incident['id']}", headers=world.tokens.staff()).json[
        "description"] == "Wasserschaden im Bad"


def test_reads_of_household_data_are_logged_with_purpose_and_the_dpo_reads_them(setup):
    world, company, contract, claim, incident = setup
    household = contract["household_id"]
    other = world.contract(company)  # a second household on the list page
    _clear_log(world.db)

    world.client.get(f"/api/v1/contracts/{contract['id']}", headers=world.tokens.staff())
    world.client.get(f"/api/v1/contracts/{contract['id']}", headers=world.tokens.finance())  # no household data
    world.client.get(f"/api/v1/incidents/{incident['id']}", headers=world.tokens.finance())  # no description
    world.client.get(f"/api/v1/claims/{claim['id']}", headers=world.tokens.finance())  # reasons about the household
    world.client.get("/api/v1/contracts", headers=world.tokens.company(company))
    assert _log(world.db) == [
        ("staff", household, "referral_and_placement"),
        ("finance", household, "guarantee_claims"),
        *sorted([("company", household, "tenancy_management"), ("company", other["household_id"], "tenancy_management")],
                key=lambda r: r[1]),
    ]

    assert world.client.get("/api/v1/privacy/access-log", headers=world.tokens.staff()).status_code == 403
    entries = world.client.get(f"/api/v1/privacy/access-log?household_id={household}",
                               headers=world.tokens.headers("dpo")).json
    assert sorted(e["actor_role"] for e in entries) == ["company", "finance", "staff"]
    assert {e["operation"] for e in entries} >= {"GET /api/v1/contracts/<uuid:contract_id>", "GET /api/v1/contracts"}


def _pdf_text(response) -> str:
    assert response.status_code == 200
    return "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(response.data)).pages)


def test_the_pdf_and_the_evidence_are_logged_reads_and_finance_gets_the_pdf_without_the_household(setup):
    world, company, contract, claim, _ = setup
    url = f"/api/v1/contracts/{contract['id']}/document"
    assert "Familie Müller" in _pdf_text(world.client.get(url, headers=world.tokens.company(company)))
    finance_pdf = _pdf_text(world.client.get(url, headers=world.tokens.finance()))
    assert "Müller" not in finance_pdf and contract["contract_no"] in finance_pdf
    document = claim["documents"][0]["id"]
    got = world.client.get(f"/api/v1/claims/{claim['id']}/documents/{document}", headers=world.tokens.finance())
    assert got.status_code == 200
    assert _log(world.db) == [("company", contract["household_id"], "tenancy_management"),
                              ("finance", contract["household_id"], "guarantee_claims")]
