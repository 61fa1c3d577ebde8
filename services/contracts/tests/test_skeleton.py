"""Companies over HTTP, and tenancies arriving from matching on the real broker."""

import uuid

from sqlalchemy import func, select

from contracts.models import Tenancy


ADDRESS = {"street": "Augsburger Straße 696", "postal_code": "70329", "city": "Stuttgart"}


def _tenancy_data(company_id: str, **overrides):
    return {
        "proposal_id": str(uuid.uuid4()),
        "flat_id": str(uuid.uuid4()),
        "household_id": str(uuid.uuid4()),
        "company_id": company_id,
        "lease_start": "2026-03-01",
        "cold_rent_cents": 61_800,
        "service_charges_cents": 18_000,
        "household": {"name": "not for contracts' logs"},
        **overrides,
    }


def test_admin_registers_a_company_and_the_event_goes_out(client, tokens, worker, bus):
    capture = bus.capture("contracts.company.#")
    response = client.post("/api/v1/companies", json={"name": "SWSG", "email": "vermietung@swsg.example", **ADDRESS},
                           headers=tokens.admin())
    assert response.status_code == 201
    event = capture.wait_for("contracts.company.registered")
    assert event["data"] == {"company_id": response.json["id"], "name": "SWSG", "email": "vermietung@swsg.example"}


def test_only_admins_register_companies_and_bad_email_is_named(client, tokens):
    assert client.post("/api/v1/companies", json={"name": "X", "email": "x@example.org"},
                       headers=tokens.staff()).status_code == 403
    response = client.post("/api/v1/companies", json={"name": "X", "email": "no", **ADDRESS}, headers=tokens.admin())
    assert response.status_code == 422 and "email" in response.json["errors"]["json"]


def test_a_company_reads_only_itself(client, tokens):
    a = client.post("/api/v1/companies", json={"name": "A", "email": "a@example.org", **ADDRESS}, headers=tokens.admin()).json
    b = client.post("/api/v1/companies", json={"name": "B", "email": "b@example.org", **ADDRESS}, headers=tokens.admin()).json
    assert client.get(f"/api/v1/companies/{a['id']}", headers=tokens.company(a["id"])).status_code == 200
    assert client.get(f"/api/v1/companies/{b['id']}", headers=tokens.company(a["id"])).status_code == 404


def test_tenancy_agreed_is_recorded_once_and_companies_see_only_theirs(client, tokens, worker, bus, db, wait_until):
    mine, other = str(uuid.uuid4()), str(uuid.uuid4())
    event = bus.publish("matching.tenancy.agreed", _tenancy_data(mine), source="matching")
    bus.publish("matching.tenancy.agreed", event.data, event_id=event.id, source="matching")
    bus.publish("matching.tenancy.agreed", _tenancy_data(other), source="matching")

    def count():
        with db.session() as s:
            return s.scalar(select(func.count()).select_from(Tenancy))

    wait_until(lambda: count() == 2)
    listed = client.get("/api/v1/tenancies", headers=tokens.company(mine))
    assert listed.status_code == 200
    assert [t["company_id"] for t in listed.json] == [mine]
    assert len(client.get("/api/v1/tenancies", headers=tokens.staff()).json) == 2


def test_an_invalid_tenancy_event_is_dead_lettered_not_retried_forever(tokens, worker, bus, settings, wait_until):
    bus.publish("matching.tenancy.agreed", _tenancy_data(str(uuid.uuid4()), cold_rent_cents=-5), source="matching")
    wait_until(lambda: bus.queue_depth(settings.dead_letter_queue) == 1)  # fails the test when it never comes
    assert bus.queue_depth(settings.dead_letter_queue) == 1, "dead-lettered once, not retried into it again"
