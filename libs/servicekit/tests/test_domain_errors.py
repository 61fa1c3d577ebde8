"""A rule of the domain that says no reaches the caller as problem+json with its status, a stable
code and the field it names, and nothing the refused operation wrote is kept."""

from __future__ import annotations

import uuid

from sqlalchemy import insert

from servicekit.errors import RuleViolation, StateConflict, UnknownObject
from servicekit.web import uow

from conftest import note_count, notes


def test_domain_errors_are_problems_with_status_code_and_field(app, client, db):
    company = uuid.uuid4().hex[:30]

    @app.post("/rule")
    def rule():
        with uow() as unit:
            unit.session.execute(insert(notes).values(id=str(uuid.uuid4()), company_id=company, text="x"))
            unit.session.flush()
            raise RuleViolation("claim.over_cap", "The claim exceeds the guarantee's cap.",
                                field="amount_cents", cap_cents=150000)

    @app.post("/state")
    def state():
        raise StateConflict("contract.already_signed", "The contract is signed already.")

    @app.get("/unknown")
    def unknown():
        raise UnknownObject("case.unknown", "No case for this proposal.")

    refused = client.post("/rule", json={"amount_cents": 200000})
    assert refused.status_code == 422 and refused.content_type == "application/problem+json"
    body = refused.json
    assert body["code"] == "claim.over_cap" and body["cap_cents"] == 150000
    assert body["errors"] == {"json": {"amount_cents": ["The claim exceeds the guarantee's cap."]}}
    assert note_count(db, company_id=company) == 0  # the refused operation left nothing behind

    upload = client.post("/rule", data={"amount_cents": "1"}, content_type="multipart/form-data")
    assert set(upload.json["errors"]) == {"form"}

    conflict = client.post("/state")
    assert conflict.status_code == 409 and conflict.json["code"] == "contract.already_signed"
    assert "errors" not in conflict.json
    missing = client.get("/unknown")
    assert missing.status_code == 404 and missing.json["title"] == "Not Found"
    assert missing.json["code"] == "case.unknown"
