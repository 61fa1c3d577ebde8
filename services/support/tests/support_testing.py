"""Builders shared by the integration tests."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

from servicekit.bus import Event
from servicekit.db import UnitOfWork

from support import handlers
from support.usecases import planning

# Monday 8 June 2026, 09:00 in Stuttgart — a plain week (Corpus Christi is Thursday the 4th)
MONDAY = datetime(2026, 6, 8, 7, 0, tzinfo=timezone.utc)


def register(client, tokens, name="Jana Weber", **extra) -> dict:
    body = {"name": name, "email": f"{uuid.uuid4().hex[:8]}@stuttgart.example", **extra}
    response = client.post("/api/v1/caseworkers", json=body, headers=tokens.admin())
    assert response.status_code == 201, response.json
    return response.json


def tenancy(**overrides) -> dict:
    data = {
        "proposal_id": str(uuid.uuid4()),
        "flat_id": str(uuid.uuid4()),
        "household_id": str(uuid.uuid4()),
        "company_id": str(uuid.uuid4()),
        "lease_start": "2026-06-15",
        "cold_rent_cents": 52000,
        "service_charges_cents": 9000,
        "heating_cents": 6000,
        "address": {"street": "Königstraße 1", "postal_code": "70173", "city": "Stuttgart", "district": "Mitte"},
        "household": {"name": "Familie Beispiel", "email": "familie@example.org", "phone": "0711 000000", "size": 3},
        "household_reference": "AS-2026-0001",
    }
    data.update(overrides)
    return data


def deliver(db, clock, event_type: str, data: dict, handler=None) -> Event:
    """Run a handler as the consumer would (one unit of work), without the broker."""
    event = Event(type=event_type, data=data, source="test", correlation_id=str(uuid.uuid4()),
                  occurred_at=clock.now())
    name = event_type.split(".", 1)[1].replace(".", "_")
    handler = handler or getattr(handlers, {"tenancy_agreed": "tenancy_agreed",
                                            "contract_created": "contract_created",
                                            "contract_expired": "contract_expired",
                                            "contract_terminated": "contract_terminated",
                                            "incident_reported": "incident_reported",
                                            "claim_submitted": "claim_submitted"}[name])
    with UnitOfWork(db, "support", actor="event:test", clock=clock) as uow:
        handler(uow, event)
        uow.commit()
    if name == "tenancy_agreed" and handler is handlers.tenancy_agreed:
        # the case opens with its first visit; the worker's book-new-cases job books the rest of
        # the horizon seconds later: run it here, as the worker would
        planning.book_new_cases(lambda: UnitOfWork(db, "support", actor="job:book-new-cases", clock=clock))
    return event


def open_case(client, db, clock, tokens, **overrides) -> dict:
    data = tenancy(**overrides)
    deliver(db, clock, "matching.tenancy.agreed", data)
    listed = client.get("/api/v1/cases", headers=tokens.staff()).json
    # with the proposal it was opened under, which contracts' events name
    return {**next(c for c in listed if c["household_id"] == data["household_id"]), "proposal_id": data["proposal_id"]}
