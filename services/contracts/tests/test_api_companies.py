"""Companies: registration by admins, the id their tokens carry, duplicates, reading."""

import uuid

ADDRESS = {"street": "Augsburger Straße 696", "postal_code": "70329", "city": "Stuttgart"}


def test_registration_with_the_identity_providers_id(client, tokens, worker, bus):
    capture = bus.capture("contracts.company.registered")
    company_id = str(uuid.uuid4())
    body = {"id": company_id, "name": "Bau- und WohnungsVerein", "email": "info@bwv.example", **ADDRESS,
            "quota_flats_per_year": 12}
    response = client.post("/api/v1/companies", json=body, headers=tokens.admin())
    assert response.status_code == 201
    assert response.json["id"] == company_id and response.json["quota_flats_per_year"] == 12
    assert capture.wait_for("contracts.company.registered")["data"]["company_id"] == company_id
    # the company's own token reads it
    assert client.get(f"/api/v1/companies/{company_id}", headers=tokens.company(company_id)).status_code == 200
    same_id = client.post("/api/v1/companies", json={**body, "name": "Other"}, headers=tokens.admin())
    same_name = client.post("/api/v1/companies", json={**body, "id": str(uuid.uuid4())}, headers=tokens.admin())
    assert same_id.status_code == same_name.status_code == 409


def test_registration_input_is_checked_field_by_field(client, tokens):
    for change, field in [({"postal_code": "7032"}, "postal_code"), ({"street": ""}, "street"),
                          ({"quota_flats_per_year": -1}, "quota_flats_per_year"), ({"id": "abc"}, "id"),
                          ({"city": None}, "city"), ({"fax": "0711"}, "fax")]:
        body = {"name": "X", "email": "x@example.org", **ADDRESS, **change}
        response = client.post("/api/v1/companies", json=body, headers=tokens.admin())
        assert response.status_code == 422 and field in response.json["errors"]["json"], (change, response.json)


def test_staff_list_companies_companies_may_not(client, tokens):
    for name in ("Zeta Wohnen", "Alpha Wohnen"):
        client.post("/api/v1/companies", json={"name": name, "email": "a@example.org", **ADDRESS},
                    headers=tokens.admin())
    listed = client.get("/api/v1/companies", headers=tokens.staff())
    assert [c["name"] for c in listed.json] == ["Alpha Wohnen", "Zeta Wohnen"]
    assert client.get("/api/v1/companies", headers=tokens.company(str(uuid.uuid4()))).status_code == 403


def test_admin_changes_contact_and_quota_with_an_event_and_an_audit_entry(client, tokens, worker, bus, db):
    from sqlalchemy import select

    from servicekit.db import audit_log

    capture = bus.capture("contracts.company.updated")
    company = client.post("/api/v1/companies", json={"name": "SWSG", "email": "alt@swsg.example", **ADDRESS},
                          headers=tokens.admin()).json
    url = f"/api/v1/companies/{company['id']}"
    assert client.patch(url, json={"email": "neu@swsg.example"}, headers=tokens.company(company["id"])).status_code == 403
    assert client.patch(url, json={}, headers=tokens.admin()).status_code == 422
    assert client.patch(url, json={"name": "Renamed"}, headers=tokens.admin()).status_code == 422
    assert client.patch(f"/api/v1/companies/{uuid.uuid4()}", json={"quota_flats_per_year": 3},
                        headers=tokens.admin()).status_code == 404
    changed = client.patch(url, json={"email": "neu@swsg.example", "quota_flats_per_year": 20}, headers=tokens.admin())
    assert changed.status_code == 200
    assert changed.json["email"] == "neu@swsg.example" and changed.json["quota_flats_per_year"] == 20
    event = capture.wait_for("contracts.company.updated")
    assert event["data"] == {"company_id": company["id"], "name": "SWSG", "email": "neu@swsg.example"}
    with db.session() as s:
        detail = s.execute(select(audit_log.c.detail).where(audit_log.c.action == "updated")).scalar_one()
    assert detail["changes"]["email"] == ["alt@swsg.example", "neu@swsg.example"]
