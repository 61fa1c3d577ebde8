"""Erasure of a household (Art. 17, coordinated by matching's event) and the legal hold of an open
claim: afterwards no table holds the household's name, contact data or texts, while contract
numbers, amounts, states and kinds remain for the financial records."""

import io
import uuid
from datetime import datetime, timezone
from pathlib import Path

import jsonschema
import pypdf
import yaml
from sqlalchemy import func, select

from servicekit.db import outbox
from servicekit.privacy import ERASURE_REQUESTED

from contracts import jobs
from contracts.models import Claim, ClaimDocument, Contract
from contracts_testkit import document
from privacy_helpers import EMAIL, NAME, TEXTS, household_story, published, scan

SPEC = yaml.safe_load((Path(__file__).parents[1] / "asyncapi.yaml").read_text())


def _validate(message: str, data: dict) -> None:
    schema = {"$ref": f"#/components/messages/{message}/payload", "components": SPEC["components"]}
    jsonschema.validate(data, schema)


def _all_published(db) -> bool:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))) == 0


def test_erasure_leaves_no_personal_value_but_keeps_the_financial_record(world, worker, bus, db, wait_until):
    company = world.company()
    contract, claim = household_story(world, company)
    neighbour = world.contract(company, household={"name": "Hans Nachbar", "email": "hans@example.org", "size": 1})
    wait_until(lambda: _all_published(db))
    assert ("tenancies", NAME) in scan(db) and ("claims", EMAIL) not in scan(db)

    capture = bus.capture("contracts.household.#")
    request = {"household_id": contract["household_id"], "request_id": str(uuid.uuid4()), "reason": "request"}
    bus.publish(ERASURE_REQUESTED, request, source="matching")
    answer = capture.wait_for("contracts.household.erased", lambda e: e["data"]["request_id"] == request["request_id"])
    assert answer["data"] == {"household_id": contract["household_id"], "request_id": request["request_id"],
                              "status": "erased", "hold": None}
    _validate("householdErased", answer["data"])
    wait_until(lambda: _all_published(db))

    assert scan(db) == []
    assert ("tenancies", "Hans Nachbar") in scan(db, ["Hans Nachbar"])  # another household is untouched
    fin = world.tokens.finance()
    kept = world.client.get(f"/api/v1/claims/{claim['id']}", headers=fin).json
    assert (kept["amount_cents"], kept["approved_cents"], kept["status"], kept["kind"], kept["payout_reference"]) == (
        120_000, 100_000, "paid", "damage_repairs", "ZA-2027-0815")
    assert kept["documents"][0]["size"] > 0 and kept["documents"][0]["filename"] == "[gelöscht]"
    staff = world.client.get(f"/api/v1/contracts/{contract['id']}", headers=world.tokens.staff()).json
    assert (staff["contract_no"], staff["state"], staff["termination_reason"]) == (
        contract["contract_no"], "terminated", "other")
    assert staff["tenancy"]["household"] == {"name": None, "email": None, "phone": None, "size": 2}
    assert staff["household_reference"] is None and staff["tenancy"]["address"]["postal_code"] == "70182"

    pdf = world.client.get(f"/api/v1/contracts/{contract['id']}/document", headers=world.tokens.staff())
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.data)).pages)
    assert NAME not in text and "(gelöscht)" in text and contract["contract_no"] in text
    document = kept["documents"][0]["id"]
    assert world.client.get(f"/api/v1/claims/{claim['id']}/documents/{document}", headers=fin).status_code == 404
    assert world.client.get(f"/api/v1/contracts/{neighbour['id']}", headers=world.tokens.staff()).json[
        "tenancy"]["household"]["name"] == "Hans Nachbar"


def test_an_open_claim_postpones_the_erasure_until_it_is_paid(world, handle_event, job_context, db):
    company = world.company()
    contract, claim = household_story(world, company, pay=False, effective_on="2027-12-31")
    household = contract["household_id"]
    request = {"household_id": household, "request_id": "req-1", "reason": "request"}

    outcome, event = handle_event(ERASURE_REQUESTED, request, source="matching")
    assert outcome == "handled"
    assert published(db, "contracts.household.erased") == [
        {"household_id": household, "request_id": "req-1", "status": "postponed", "hold": "open_claim"}]
    _validate("householdErased", published(db, "contracts.household.erased")[0])
    assert handle_event(ERASURE_REQUESTED, request, event_id=event.id)[0] == "duplicate"
    assert handle_event(ERASURE_REQUESTED, request)[0] == "handled"  # re-published: no second answer
    assert len(published(db, "contracts.household.erased")) == 1
    assert (("tenancies", NAME) in scan(db)) and jobs.pending_erasures(job_context) == 0

    fin = world.tokens.finance()
    url = f"/api/v1/claims/{claim['id']}"
    assert world.client.post(f"{url}/decision", headers=fin, json={"decision": "approve"}).status_code == 200
    assert jobs.pending_erasures(job_context) == 0  # approved but not paid: still a hold
    assert world.client.post(f"{url}/payout", headers=fin, json={"reference": "ZA-1"}).status_code == 200
    assert jobs.pending_erasures(job_context) == 1
    assert jobs.pending_erasures(job_context) == 0
    answers = published(db, "contracts.household.erased")
    assert answers[-1] == {"household_id": household, "request_id": "req-1", "status": "erased", "hold": None}
    assert [n for _, n in scan(db)] == [] and world.client.get(url, headers=fin).json["approved_cents"] == 120_000


def test_erased_at_once_again_on_a_new_request_and_a_later_claim_once_settled(world, handle_event, db, job_context):
    company = world.company()
    contract, _ = household_story(world, company)
    for request_id in ("r-1", "r-2"):  # retention in matching after an earlier Art. 17 request: answered again
        assert handle_event(ERASURE_REQUESTED, {"household_id": contract["household_id"], "request_id": request_id,
                                                "reason": "retention"})[0] == "handled"
    assert [a["status"] for a in published(db, "contracts.household.erased")] == ["erased", "erased"]
    # the decision's event (with its reason) was still waiting for the relay when the household was
    # erased; once the broker has it, the erasure job drops it
    assert [n for _, n in scan(db)] == [TEXTS["decision"]]
    with db.engine.begin() as conn:
        conn.execute(outbox.update().values(published_at=datetime.now(timezone.utc)))
    jobs.pending_erasures(job_context)
    assert scan(db) == []
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Contract).where(Contract.personal_data_erased_at.is_not(None))) == 1
        assert s.scalar(select(func.sum(Claim.approved_cents))) == 100_000
        assert s.scalar(select(func.length(ClaimDocument.content))) == 0

    # the ended contract still takes claims in its grace period: a late one is erased once settled
    world.clock.advance(minutes=1)
    late = world.client.post(f"/api/v1/contracts/{contract['id']}/claims", headers=world.tokens.company(company), json={
        "kind": "renovation_move_out", "amount_cents": 3_000, "description": TEXTS["claim"],
        "evidence": [document("invoice")]})
    assert late.status_code == 201
    assert jobs.pending_erasures(job_context) == 0  # open: finance needs the text to decide
    world.client.post(f"/api/v1/claims/{late.json['id']}/decision", headers=world.tokens.finance(),
                      json={"decision": "reject", "reason": TEXTS["decision"]})
    assert jobs.pending_erasures(job_context) == 1
    assert jobs.pending_erasures(job_context) == 0
    late_claim = world.client.get(f"/api/v1/claims/{late.json['id']}", headers=world.tokens.finance()).json
    assert (late_claim["description"], late_claim["decision_reason"], late_claim["amount_cents"]) == (
        "[gelöscht]", None, 3_000)


def test_an_erasure_request_without_household_id_is_dead_lettered(handle_event):
    assert handle_event(ERASURE_REQUESTED, {"request_id": "r"})[0] == "dead_letter"


def test_the_same_request_arriving_twice_at_once_is_answered_once(world, handle_event, run_concurrently, db):
    company = world.company()
    contract = world.contract(company)
    request = {"household_id": contract["household_id"], "request_id": str(uuid.uuid4()), "reason": "request"}
    # re-published under new event ids (the inbox cannot tell): the later ones wait, then find it done
    assert run_concurrently(lambda _: handle_event(ERASURE_REQUESTED, request)[0], 3) == ["handled"] * 3
    assert [a["request_id"] for a in published(db, "contracts.household.erased")] == [request["request_id"]]


def test_households_still_on_hold_never_hide_settled_ones_behind_them(world, handle_event, job_context, db):
    company = world.company()
    held = [world.contract(company) for _ in range(3)]
    for contract in held:
        world.claim(contract, kind="damage_repairs", amount=1_000)
    settled = world.contract(company)
    claim = world.claim(settled, kind="damage_repairs", amount=1_000)
    for contract in (*held, settled):
        world.clock.advance(seconds=1)
        handle_event(ERASURE_REQUESTED, {"household_id": contract["household_id"], "request_id": contract["id"]})
    world.client.post(f"/api/v1/claims/{claim['id']}/withdraw", headers=world.tokens.company(company))
    assert jobs.pending_erasures(job_context, batch_size=2) == 1
    assert published(db, "contracts.household.erased")[-1]["household_id"] == settled["household_id"]
