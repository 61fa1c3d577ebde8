"""Referring households over HTTP: validation, roles, and the event that goes out."""

REFERRAL = {
    "referral_no": "AS-2026-0001",
    "adults": 2,
    "children": 1,
    "urgency": "threatened_homelessness",
    "name": "Familie Yılmaz",
    "email": "yilmaz@example.org",
}


def test_staff_refers_a_household_and_the_event_is_recorded_in_the_outbox(client, tokens, db):
    response = client.post("/api/v1/households", json=REFERRAL, headers=tokens.staff())
    assert response.status_code == 201, response.json
    body = response.json
    assert body["size"] == 3 and body["status"] == "waiting"

    from sqlalchemy import select
    from servicekit.db import outbox

    with db.session() as s:
        rows = s.execute(select(outbox.c.type, outbox.c.body)).all()
    assert [r.type for r in rows] == ["matching.household.referred"]
    assert body["id"] in rows[0].body and "Yılmaz" not in rows[0].body  # no name in this event


def test_invalid_fields_are_named_and_nothing_is_written(client, tokens, db):
    response = client.post("/api/v1/households", json={**REFERRAL, "adults": -1, "urgency": "soon"},
                           headers=tokens.staff())
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    assert set(response.json["errors"]["json"]) == {"adults", "urgency"}
    assert client.get("/api/v1/households/00000000-0000-0000-0000-000000000000",
                      headers=tokens.staff()).status_code == 404


def test_malformed_json_is_a_400_problem(client, tokens):
    response = client.post("/api/v1/households", data="{not json", content_type="application/json",
                           headers=tokens.staff())
    assert response.status_code == 400
    assert response.content_type == "application/problem+json"


def test_duplicate_referral_number_is_a_conflict(client, tokens):
    assert client.post("/api/v1/households", json=REFERRAL, headers=tokens.staff()).status_code == 201
    response = client.post("/api/v1/households", json=REFERRAL, headers=tokens.staff())
    assert response.status_code == 409


def test_a_company_may_not_refer_or_read_households(client, tokens):
    company = tokens.company("c0ffee00-0000-0000-0000-000000000001")
    assert client.post("/api/v1/households", json=REFERRAL, headers=company).status_code == 403
    assert client.post("/api/v1/households", json=REFERRAL).status_code == 401
