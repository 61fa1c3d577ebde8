"""Every event support publishes — taken from the outbox after real use cases ran — and examples
of every event it consumes match asyncapi.yaml, the contract other services rely on."""

import json
import uuid
from pathlib import Path

import jsonschema
import yaml
from sqlalchemy import select

from servicekit.db import outbox

from support_testing import MONDAY, deliver, register, tenancy

SPEC = yaml.safe_load((Path(__file__).parents[1] / "asyncapi.yaml").read_text())


def validate(event_type: str, data: dict) -> None:
    channel = next(c for c in SPEC["channels"].values() if c["address"] == event_type)
    ref = next(iter(channel["messages"].values()))["$ref"].split("/")[-1]
    schema = {"$ref": f"#/components/messages/{ref}/payload", "components": SPEC["components"]}
    jsonschema.validate(data, schema, format_checker=jsonschema.FormatChecker())


def _uuid():
    return str(uuid.uuid4())


def test_every_published_event_matches_the_contract(client, tokens, db, clock, job_context):
    from support import jobs

    clock.freeze(MONDAY)
    anna = register(client, tokens, name="Anna", phone="0711 2")
    carla = register(client, tokens, name="Carla")
    data = tenancy()
    deliver(db, clock, "matching.tenancy.agreed", data)
    case = client.get("/api/v1/cases", headers=tokens.staff()).json[0]
    deliver(db, clock, "contracts.incident.reported",
            {"incident_id": _uuid(), "contract_id": _uuid(), "proposal_id": data["proposal_id"], "kind": "noise"})
    visits = client.get(f"/api/v1/cases/{case['id']}/appointments?status=scheduled", headers=tokens.staff()).json
    client.post(f"/api/v1/appointments/{visits[-1]['id']}/reschedule", json={"starts_at": "2026-08-03T14:00:00+02:00"},
                headers=tokens.staff())
    client.post(f"/api/v1/appointments/{visits[-2]['id']}/cancel", json={"reason": "Urlaub"}, headers=tokens.staff())
    other = "social_worker" if case["social_worker"]["id"] == anna["id"] else "contact_person"
    response = client.post(f"/api/v1/cases/{case['id']}/reassign",
                           json={"role": other, "caseworker_id": carla["id"] if case[other]["id"] != carla["id"] else anna["id"],
                                 "reason": "Wechsel"}, headers=tokens.staff())
    assert response.status_code == 200, response.json
    # a second case whose crisis nobody can take in time: breached
    data2 = tenancy(lease_start="2026-12-01")
    deliver(db, clock, "matching.tenancy.agreed", data2)
    for person in (anna, carla):
        client.post(f"/api/v1/caseworkers/{person['id']}/absences", json={"first_day": "2026-06-08", "last_day": "2026-06-12"},
                    headers=tokens.staff())
    deliver(db, clock, "contracts.claim.submitted", {"claim_id": _uuid(), "contract_id": _uuid(), "kind": "rent_arrears",
                                                     "proposal_id": data2["proposal_id"], "amount_cents": 1})
    clock.advance(days=4)
    jobs.crisis_deadlines(job_context)
    client.post(f"/api/v1/cases/{case['id']}/close", json={"outcome": "moved_out"}, headers=tokens.staff())
    from support import erasure

    deliver(db, clock, "matching.household.erasure_requested",
            {"household_id": data2["household_id"], "request_id": _uuid(), "reason": "request"},
            handler=erasure.household_erasure_requested)

    with db.session() as s:
        bodies = [json.loads(b) for b in s.scalars(select(outbox.c.body))]
    published = {c["address"] for c in SPEC["channels"].values() if c["address"].startswith("support.")}
    assert {b["type"] for b in bodies} == published
    for body in bodies:
        validate(body["type"], body["data"])
    # the case reference people quote travels with every event a message is written from (issue 22)
    for body in bodies:
        if body["type"].startswith("support.appointment.") or body["type"] in (
                "support.case.opened", "support.case.at_risk", "support.crisis.breached"):
            assert body["data"]["case_reference"].startswith("SUP-"), body["type"]
        if body["type"] in ("support.case.at_risk", "support.crisis.breached"):
            assert body["data"]["household_id"] in (data["household_id"], data2["household_id"])


def test_examples_of_consumed_events_match_the_contract():
    contract = {"contract_id": _uuid(), "contract_no": "GV-2026-00001", "proposal_id": _uuid(),
                "company_id": _uuid(), "household_id": _uuid(),
                "term_start": "2026-06-15", "term_end": "2031-06-14"}
    examples = {
        "matching.tenancy.agreed": tenancy(),
        "contracts.contract.created": contract,
        "contracts.contract.expired": contract,
        "contracts.contract.terminated": {**contract, "reason": "notice"},
        "contracts.incident.reported": {"incident_id": _uuid(), "contract_id": _uuid(), "proposal_id": _uuid(),
                                        "household_id": _uuid(),
                                        "company_id": _uuid(), "kind": "noise", "severity": "high"},
        "contracts.claim.submitted": {"claim_id": _uuid(), "contract_id": _uuid(), "proposal_id": _uuid(),
                                      "household_id": _uuid(),
                                      "company_id": _uuid(), "kind": "rent_arrears", "amount_cents": 120000},
        "matching.household.erasure_requested": {"household_id": _uuid(), "request_id": _uuid(), "reason": "request"},
    }
    from support.service import service

    assert set(examples) == set(service.handlers)
    for event_type, data in examples.items():
        validate(event_type, data)
