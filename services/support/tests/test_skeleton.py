"""Caseworkers over HTTP, and support cases opened from matching's lease events on the real broker."""

import uuid

from sqlalchemy import func, select

from support.models import SupportCase


def test_admin_registers_a_caseworker_and_the_event_goes_out(client, tokens, worker, bus):
    capture = bus.capture("support.#")
    response = client.post("/api/v1/caseworkers", json={"name": "Jana Weber", "email": "jana.weber@stuttgart.example"},
                           headers=tokens.admin())
    assert response.status_code == 201
    event = capture.wait_for("support.caseworker.registered")
    assert event["data"]["caseworker_id"] == response.json["id"]


def test_bad_input_and_roles(client, tokens):
    assert client.post("/api/v1/caseworkers", json={"name": "X", "email": "x@example.org"},
                       headers=tokens.staff()).status_code == 403
    response = client.post("/api/v1/caseworkers", json={"email": "x@example.org"}, headers=tokens.admin())
    assert response.status_code == 422 and "name" in response.json["errors"]["json"]


def test_tenancy_agreed_opens_exactly_one_case(client, tokens, worker, bus, db, wait_until):
    data = {"proposal_id": str(uuid.uuid4()), "household_id": str(uuid.uuid4()), "company_id": str(uuid.uuid4())}
    event = bus.publish("matching.tenancy.agreed", data, source="matching")
    bus.publish("matching.tenancy.agreed", data, event_id=event.id, source="matching")

    def count():
        with db.session() as s:
            return s.scalar(select(func.count()).select_from(SupportCase))

    wait_until(lambda: count() == 1)
    listed = client.get("/api/v1/cases", headers=tokens.staff())
    assert listed.status_code == 200 and listed.json[0]["household_id"] == data["household_id"]
