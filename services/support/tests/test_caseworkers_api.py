"""Caseworkers over HTTP: registration, roles, self-service, absences."""

from sqlalchemy import select

from servicekit.db import audit_log

from support_testing import MONDAY, open_case, register


def test_registration_stores_capacity_and_hides_the_calendar_secret_afterwards(client, tokens, clock):
    clock.freeze(MONDAY)
    created = register(client, tokens, roles=["social_worker"], max_cases=12, weekly_minutes=600,
                       working_weekdays=[0, 1, 2], districts=["Vaihingen"])
    assert created["roles"] == ["social_worker"] and created["max_cases"] == 12
    assert created["calendar_token"]
    fetched = client.get(f"/api/v1/caseworkers/{created['id']}", headers=tokens.staff()).json
    assert "calendar_token" not in fetched and fetched["active_cases"] == 0


def test_registration_bad_input_is_422_naming_the_field(client, tokens):
    for body, field in [
        ({"name": "A", "email": "a@x.org", "roles": ["boss"]}, "roles"),
        ({"name": "A", "email": "a@x.org", "max_cases": 0}, "max_cases"),
        ({"name": "A", "email": "a@x.org", "working_weekdays": [5]}, "working_weekdays"),
        ({"name": "A", "email": "a@x.org", "working_weekdays": [2.6e-42]}, "working_weekdays"),  # not Monday
        ({"name": "A", "email": "not-an-email"}, "email"),
    ]:
        response = client.post("/api/v1/caseworkers", json=body, headers=tokens.admin())
        assert response.status_code == 422 and field in response.json["errors"]["json"], body
        assert response.content_type == "application/problem+json"


def test_duplicate_email_is_409(client, tokens):
    first = register(client, tokens)
    again = client.post("/api/v1/caseworkers", json={"name": "B", "email": first["email"]}, headers=tokens.admin())
    assert again.status_code == 409


def test_a_caseworker_sees_only_themself(client, tokens):
    anna, ben = register(client, tokens, name="Anna"), register(client, tokens, name="Ben")
    assert client.get(f"/api/v1/caseworkers/{anna['id']}", headers=tokens.caseworker(anna["id"])).status_code == 200
    assert client.get(f"/api/v1/caseworkers/{ben['id']}", headers=tokens.caseworker(anna["id"])).status_code == 404
    assert client.get("/api/v1/caseworkers", headers=tokens.caseworker(anna["id"])).status_code == 403
    assert client.get("/api/v1/caseworkers", headers=tokens.company("c1000000-0000-4000-8000-000000000000")).status_code == 403
    assert client.get("/api/v1/caseworkers").status_code == 401


def test_subject_maps_an_identity_provider_account_to_the_caseworker(client, tokens):
    anna = register(client, tokens, subject="kc-1234")
    assert client.get(f"/api/v1/caseworkers/{anna['id']}", headers=tokens.caseworker("kc-1234")).status_code == 200


def test_admin_changes_capacity_with_an_audit_entry(client, tokens, db):
    anna = register(client, tokens)
    response = client.patch(f"/api/v1/caseworkers/{anna['id']}", json={"max_cases": 5, "active": False},
                            headers=tokens.admin())
    assert response.status_code == 200 and response.json["max_cases"] == 5 and response.json["active"] is False
    assert client.patch(f"/api/v1/caseworkers/{anna['id']}", json={"max_cases": 5}, headers=tokens.staff()).status_code == 403
    assert client.patch("/api/v1/caseworkers/nope", json={"max_cases": 5}, headers=tokens.admin()).status_code == 404
    with db.session() as s:
        assert s.execute(select(audit_log).where(audit_log.c.entity_id == anna["id"], audit_log.c.action == "changed")).first()


def test_absence_moves_planned_visits_out_of_it(client, tokens, db, clock):
    clock.freeze(MONDAY)
    anna = register(client, tokens)
    case = open_case(client, db, clock, tokens)
    visits = client.get(f"/api/v1/cases/{case['id']}/appointments", headers=tokens.staff()).json
    first = visits[0]
    day = first["starts_at"][:10]
    response = client.post(f"/api/v1/caseworkers/{anna['id']}/absences",
                           json={"first_day": day, "last_day": day, "kind": "sick_leave"}, headers=tokens.staff())
    assert response.status_code == 201
    after = client.get(f"/api/v1/cases/{case['id']}/appointments", headers=tokens.staff()).json
    scheduled = [a for a in after if a["status"] == "scheduled"]
    assert not any(a["starts_at"][:10] == day for a in scheduled)
    assert len(scheduled) == len(visits)  # every visit rebooked, none lost
    bad = client.post(f"/api/v1/caseworkers/{anna['id']}/absences",
                      json={"first_day": "2026-07-10", "last_day": "2026-07-01"}, headers=tokens.staff())
    assert bad.status_code == 422 and "last_day" in bad.json["errors"]["json"]


def test_capacity_defaults_come_from_the_caseload_file(client, tokens, clock):
    from support import config

    clock.freeze(MONDAY)
    facts = config.FILES.facts("caseload.json")
    created = register(client, tokens)
    assert (created["max_cases"], created["weekly_minutes"]) == (facts["max_cases"], facts["weekly_minutes"])
    assert set(config.FILES.read("caseload.json")["_source"]) == {"max_cases", "weekly_minutes"}


def test_a_second_registration_with_the_same_email_is_a_conflict_with_a_code(client, tokens, clock):
    clock.freeze(MONDAY)
    first = register(client, tokens)
    again = client.post("/api/v1/caseworkers", json={"name": "Other", "email": first["email"]}, headers=tokens.admin())
    assert again.status_code == 409 and again.json["code"] == "caseworker.email_taken"
