"""Only housing companies contracts registered offer flats (issue 23, finding 5): matching learns them
from contracts.company.registered on the real broker, and refuses every other company id with 422."""

import uuid

from sqlalchemy import func, select

from helpers import flat_body
from matching.models import Flat, RegisteredCompany
from servicekit.db.tables import inbox


def _flats(db) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(Flat))


def _handled(db, message_id: str) -> bool:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(inbox).where(inbox.c.message_id == message_id)) == 1


def test_a_company_nobody_registered_offers_no_flat(client, tokens, db):
    # A company token with a random UUID got 201, and staff could name any company_id.
    stranger = str(uuid.uuid4())
    before = _flats(db)
    for headers, body in ((tokens.company(stranger), flat_body()), (tokens.staff(), flat_body(company_id=stranger))):
        response = client.post("/api/v1/flats", json=body, headers=headers)
        assert response.status_code == 422, response.json
        assert response.headers["Content-Type"] == "application/problem+json"
        assert "company_id" in response.json["errors"]["json"]
    assert _flats(db) == before


def test_a_company_contracts_registered_before_matching_listened_is_known_once_it_is_changed(
        client, tokens, worker, bus, db, wait_until):
    company = str(uuid.uuid4())
    bus.publish("contracts.company.updated", {"company_id": company, "name": "Neckar Wohnen", "email": "neu@neckar.example"})
    wait_until(lambda: client.get(f"/api/v1/companies/{company}", headers=tokens.company(company)).status_code == 200)
    assert client.post("/api/v1/flats", json=flat_body(), headers=tokens.company(company)).status_code == 201


def test_the_registration_event_lets_the_company_offer_flats_once(client, tokens, worker, bus, db, wait_until):
    company = str(uuid.uuid4())
    assert client.post("/api/v1/flats", json=flat_body(), headers=tokens.company(company)).status_code == 422
    assert client.get(f"/api/v1/companies/{company}", headers=tokens.company(company)).status_code == 404
    event = bus.publish("contracts.company.registered",
                        {"company_id": company, "name": "Filder Wohnen eG", "email": "vermietung@filder.example"})
    bus.publish("contracts.company.registered", event.data, event_id=event.id)  # the same message again
    second = bus.publish("contracts.company.registered", event.data)  # a re-announcement under a new id

    def known() -> bool:
        with db.session() as session:
            return session.get(RegisteredCompany, company) is not None

    wait_until(known)
    # what a client waits for before its first offer
    answer = client.get(f"/api/v1/companies/{company}", headers=tokens.company(company))
    assert answer.status_code == 200 and answer.json["company_id"] == company and answer.json["registered_at"]
    assert client.get(f"/api/v1/companies/{company}", headers=tokens.staff()).status_code == 200
    assert client.get(f"/api/v1/companies/{company}", headers=tokens.company(str(uuid.uuid4()))).status_code == 404
    offered = client.post("/api/v1/flats", json=flat_body(), headers=tokens.company(company))
    assert offered.status_code == 201 and offered.json["company_id"] == company
    by_staff = client.post("/api/v1/flats", json=flat_body(company_id=company, unit_ref="WE-13"), headers=tokens.staff())
    assert by_staff.status_code == 201 and by_staff.json["company_id"] == company
    wait_until(lambda: _handled(db, second.id))
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(RegisteredCompany)
                              .where(RegisteredCompany.company_id == company)) == 1
