"""Small builders for the API tests (request bodies, a flat + household + run)."""

from __future__ import annotations

import time
from datetime import date, datetime, timezone
from itertools import count

COMPANY = "c0ffee00-0000-0000-0000-000000000001"
OTHER_COMPANY = "c0ffee00-0000-0000-0000-000000000002"
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
_seq = count(1)


def flat_body(**kw):
    body = {
        "unit_ref": "WE-12", "street": "Neckarstraße 12", "postal_code": "70190", "district": "Ost",
        "rooms": 2, "area_m2": 55.0, "floor": 0, "cold_rent_cents": 48_000, "service_charges_cents": 12_000,
        "heating_cents": 7_000, "available_from": "2026-03-01", "pets_allowed": True,
    }
    body.update(kw)
    return body


def household_body(**kw):
    body = {
        "referral_no": f"AS-2026-{next(_seq):04d}", "adults": 1, "children": 0,
        "urgency": "threatened_homelessness", "name": "Erika Muster", "email": "erika@example.org",
        "phone": "+49 711 000000",
    }
    body.update(kw)
    return body


def offer(client, tokens, company=COMPANY, **kw):
    r = client.post("/api/v1/flats", json=flat_body(**kw), headers=tokens.company(company))
    assert r.status_code == 201, r.json
    return r.json


def refer(client, tokens, **kw):
    r = client.post("/api/v1/households", json=household_body(**kw), headers=tokens.staff())
    assert r.status_code == 201, r.json
    return r.json


def execute_queued_runs(client) -> int:
    """What the worker's `matching-runs` job does, in this thread (API tests run no worker)."""
    from servicekit.jobs import JobContext

    from matching import jobs

    kit = client.application.extensions["servicekit"]
    return jobs.execute_runs(JobContext(kit.settings, kit.db, kit.clock))


def run(client, tokens):
    """Queue a matching run (202), execute it as the worker would, and return the finished run."""
    r = client.post("/api/v1/matching-runs", headers=tokens.staff())
    assert r.status_code == 202, r.json
    assert r.headers["Location"] == f"/api/v1/matching-runs/{r.json['id']}" and r.json["status"] == "pending"
    deadline = time.monotonic() + 30
    while True:
        execute_queued_runs(client)  # nothing to do when a running worker fixture already took it
        done = client.get(r.headers["Location"], headers=tokens.staff()).json
        if done["status"] != "pending":
            assert done["status"] == "completed", done
            return done
        assert time.monotonic() < deadline, "the run stayed pending"
        time.sleep(0.1)


def proposals(client, headers, **query):
    r = client.get("/api/v1/proposals", query_string=query, headers=headers)
    assert r.status_code == 200, r.json
    return r.json


def one_proposal(client, tokens, clock):
    clock.freeze(MONDAY)
    flat = offer(client, tokens)
    household = refer(client, tokens)
    run(client, tokens)
    [proposal] = proposals(client, tokens.staff())
    return flat, household, proposal


__all__ = ["COMPANY", "OTHER_COMPANY", "MONDAY", "date", "flat_body", "household_body", "offer", "refer", "run",
           "proposals", "one_proposal"]
