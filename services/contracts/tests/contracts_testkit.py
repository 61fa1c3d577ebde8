"""Helpers shared by the contracts service tests (a module name of its own: every service has a
`conftest`, and test modules importing from `conftest` could get another directory's)."""

import base64
import uuid
from datetime import date, datetime, timezone

PDF_BYTES = b"%PDF-1.4\n% Mietkonto\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def document(kind="rent_ledger", content=PDF_BYTES, content_type="application/pdf", filename="mietkonto.pdf"):
    return {"kind": kind, "filename": filename, "content_type": content_type,
            "content_base64": base64.b64encode(content).decode()}


def tenancy_event(company_id: str, **overrides):
    """Matching's lease event; an override of `...` leaves the field out (an older producer's event)."""
    event = {
        "proposal_id": str(uuid.uuid4()),
        "flat_id": str(uuid.uuid4()),
        "household_id": str(uuid.uuid4()),
        "company_id": company_id,
        "lease_start": "2026-03-01",
        "lease_unlimited": True,
        "cold_rent_cents": 61_800,
        "service_charges_cents": 18_200,
        "heating_cents": 9_000,
        "address": {"street": "Böblinger Straße 12", "postal_code": "70178", "city": "Stuttgart", "district": "Süd"},
        "household": {"name": "Familie Müller", "email": "mueller@example.org", "phone": "0711 123", "size": 3},
        "household_reference": f"HH-{uuid.uuid4().hex[:6]}",
        **overrides,
    }
    return {k: v for k, v in event.items() if v is not ...}


class World:
    """Builds companies and contracts straight through the service layer (fast, no broker)."""

    def __init__(self, db, client, tokens, clock):
        self.db, self.client, self.tokens, self.clock = db, client, tokens, clock

    def company(self, name=None, **extra) -> str:
        body = {"name": name or f"Wohnbau {uuid.uuid4().hex[:6]}", "email": "info@wohnbau.example",
                "street": "Königstraße 1", "postal_code": "70173", "city": "Stuttgart", **extra}
        response = self.client.post("/api/v1/companies", json=body, headers=self.tokens.admin())
        assert response.status_code == 201, response.json
        return response.json["id"]

    def contract(self, company_id: str, *, active=True, **overrides) -> dict:
        from servicekit.db import UnitOfWork

        from contracts.usecases import tenancies
        from contracts.schemas import TenancyEvent

        with UnitOfWork(self.db, "contracts", clock=self.clock) as unit:
            row = tenancies.record_tenancy(unit, TenancyEvent().load(tenancy_event(company_id, **overrides)))
            unit.commit()
            contract_id = row.id
        if active:
            self.sign(contract_id, "city", self.tokens.staff())
            self.sign(contract_id, "company", self.tokens.company(company_id))
        return self.client.get(f"/api/v1/contracts/{contract_id}", headers=self.tokens.staff()).json

    def sign(self, contract_id, party, headers):
        response = self.client.post(f"/api/v1/contracts/{contract_id}/sign", json={"party": party}, headers=headers)
        assert response.status_code == 200, response.json
        return response.json

    def claim(self, contract: dict, *, amount=50_000, first="2027-01", last=None, kind="rent_arrears", expect=201):
        body = {"kind": kind, "amount_cents": amount, "description": "Miete offen laut Mietkonto",
                "evidence": [document("rent_ledger" if kind == "rent_arrears" else "invoice")]}
        if kind == "rent_arrears":
            body["period"] = {"first": first, "last": last or first}
        response = self.client.post(f"/api/v1/contracts/{contract['id']}/claims", json=body,
                                    headers=self.tokens.company(contract["company_id"]))
        assert response.status_code == expect, response.json
        return response.json


def at_berlin_noon(day: date) -> datetime:
    from contracts.domain import BERLIN

    return datetime(day.year, day.month, day.day, 12, tzinfo=BERLIN).astimezone(timezone.utc)
