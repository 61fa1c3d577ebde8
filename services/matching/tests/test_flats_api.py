"""Flats over HTTP: companies offer their own, staff act for them, nobody sees another's."""

from sqlalchemy import select

from servicekit.db import audit_log, outbox

from tests.helpers import COMPANY, OTHER_COMPANY, flat_body, offer


def test_company_offers_a_flat_and_the_event_goes_to_the_outbox(client, tokens, db):
    flat = offer(client, tokens)
    assert flat["company_id"] == COMPANY and flat["status"] == "offered"
    assert flat["gross_rent_cents"] == 48_000 + 12_000 + 7_000
    with db.session() as s:
        [row] = s.execute(select(outbox.c.type, outbox.c.body)).all()
        assert row.type == "matching.flat.offered" and flat["id"] in row.body
        assert s.execute(select(audit_log.c.action).where(audit_log.c.entity_id == flat["id"])).scalar() == "offered"


def test_bad_flat_input_names_the_fields_and_writes_nothing(client, tokens, db):
    r = client.post("/api/v1/flats", json=flat_body(district="Esslingen", cold_rent_cents=-5, rooms=2.3, postal_code="10115"),
                    headers=tokens.company(COMPANY))
    assert r.status_code == 422 and r.content_type == "application/problem+json"
    assert set(r.json["errors"]["json"]) == {"district", "cold_rent_cents", "rooms", "postal_code"}
    r = client.post("/api/v1/flats", json=flat_body(wheelchair_accessible=True, floor=3, lift=False),
                    headers=tokens.company(COMPANY))
    assert r.status_code == 422 and "wheelchair_accessible" in r.json["errors"]["json"]
    with db.session() as s:
        assert s.execute(select(outbox)).all() == []


def test_staff_must_name_the_company_they_act_for(client, tokens):
    r = client.post("/api/v1/flats", json=flat_body(), headers=tokens.staff())
    assert r.status_code == 422 and "company_id" in r.json["errors"]["json"]
    r = client.post("/api/v1/flats", json=flat_body(company_id=OTHER_COMPANY), headers=tokens.staff())
    assert r.status_code == 201 and r.json["company_id"] == OTHER_COMPANY


def test_a_company_cannot_offer_for_another_company(client, tokens):
    r = client.post("/api/v1/flats", json=flat_body(company_id=OTHER_COMPANY), headers=tokens.company(COMPANY))
    assert r.status_code == 404


def test_companies_see_and_withdraw_only_their_own_flats(client, tokens):
    mine = offer(client, tokens)
    theirs = offer(client, tokens, company=OTHER_COMPANY)
    me = tokens.company(COMPANY)
    listed = client.get("/api/v1/flats", headers=me)
    assert [f["id"] for f in listed.json] == [mine["id"]]
    assert client.get(f"/api/v1/flats/{theirs['id']}", headers=me).status_code == 404
    assert client.post(f"/api/v1/flats/{theirs['id']}/withdraw", json={"reason": "vermietet"}, headers=me).status_code == 404
    assert len(client.get("/api/v1/flats", headers=tokens.staff()).json) == 2
    r = client.post(f"/api/v1/flats/{mine['id']}/withdraw", json={"reason": "anderweitig vermietet"}, headers=me)
    assert r.status_code == 200 and r.json["status"] == "withdrawn"
    again = client.post(f"/api/v1/flats/{mine['id']}/withdraw", json={"reason": "nochmal"}, headers=me)
    assert again.status_code == 409
    assert [f["id"] for f in client.get("/api/v1/flats?status=offered", headers=tokens.staff()).json] == [theirs["id"]]


def test_caseworkers_and_anonymous_callers_get_no_flats(client, tokens):
    assert client.get("/api/v1/flats", headers=tokens.caseworker("cw-1")).status_code == 403
    assert client.get("/api/v1/flats").status_code == 401
