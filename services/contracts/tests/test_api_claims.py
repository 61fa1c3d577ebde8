"""Claims over HTTP: the rules at their edges, decisions, payouts, evidence, and nothing written on
bad input."""

import base64

import pytest
from sqlalchemy import func, select

from servicekit.db import audit_log, outbox

from contracts.models import Claim, ClaimDocument
from contracts_testkit import PNG_BYTES, document


def _counts(db):
    with db.session() as s:
        return tuple(s.scalar(select(func.count()).select_from(t)) for t in (Claim, ClaimDocument, outbox, audit_log))


@pytest.fixture
def setup(world):
    company = world.company()
    return world, company, world.contract(company)


def test_file_claim_commits_against_the_cap_and_is_announced(setup, worker, bus):
    world, company, contract = setup
    capture = bus.capture("contracts.claim.#")
    claim = world.claim(contract, amount=160_000, first="2027-01", last="2027-02")
    assert claim["status"] == "submitted"
    assert claim["period"] == {"first": "2027-01", "last": "2027-02"}
    assert [d["kind"] for d in claim["documents"]] == ["rent_ledger"]
    event = capture.wait_for("contracts.claim.submitted")
    assert {k: event["data"][k] for k in ("claim_id", "contract_id", "company_id", "household_id", "kind",
                                          "amount_cents")} == {
        "claim_id": claim["id"], "contract_id": contract["id"], "company_id": company,
        "household_id": contract["household_id"], "kind": "rent_arrears", "amount_cents": 160_000}
    after = world.client.get(f"/api/v1/contracts/{contract['id']}", headers=world.tokens.company(company)).json
    assert {c["name"]: c["remaining_cents"] for c in after["coverage"]}["rent_arrears"] == 1_200_000 - 160_000


def test_cap_reached_exactly_then_one_cent_more_is_refused_without_writing(setup, db):
    world, company, contract = setup
    world.claim(contract, kind="damage_repairs", amount=600_000)
    world.claim(contract, kind="renovation_move_out", amount=400_000)  # the shared repairs cap is now full
    before = _counts(db)
    response = world.claim(contract, kind="damage_repairs", amount=1, expect=422)
    assert response["code"] == "claim.cap_exceeded"
    assert "amount_cents" in response["errors"]["json"]
    assert _counts(db) == before


@pytest.mark.parametrize(
    ("first", "last", "code"),
    [
        ("2026-02", "2026-03", "claim.period_outside_term"),  # month before the lease start
        ("2027-07", "2027-07", "claim.period_in_future"),  # not begun on 15 June 2027
        ("2027-03", "2027-02", None),  # last before first: schema error
    ],
)
def test_bad_periods_are_422_naming_the_period(setup, db, first, last, code):
    world, _, contract = setup
    before = _counts(db)
    response = world.claim(contract, first=first, last=last, amount=1_000, expect=422)
    assert "period" in response["errors"]["json"]
    if code:
        assert response["code"] == code
    assert _counts(db) == before


def test_last_month_of_the_term_can_be_claimed_the_month_after_cannot(world):
    company = world.company()
    contract = world.contract(company, lease_start="2022-07-01")  # term ends 2027-06-30
    assert contract["term_end"] == "2027-06-30"
    world.claim(contract, first="2027-06", amount=1_000)
    world.clock.freeze(world.clock.now().replace(month=7, day=20))
    response = world.claim(contract, first="2027-07", amount=1_000, expect=422)
    assert response["code"] == "claim.period_outside_term"


def test_overlapping_periods_refused_until_the_first_claim_is_rejected(setup):
    world, company, contract = setup
    first = world.claim(contract, first="2027-01", last="2027-03", amount=100_000)
    overlap = world.claim(contract, first="2027-03", last="2027-04", amount=10_000, expect=422)
    assert overlap["code"] == "claim.period_overlap"
    world.claim(contract, first="2027-04", last="2027-04", amount=10_000)  # adjacent is fine
    rejected = world.client.post(f"/api/v1/claims/{first['id']}/decision",
                                 json={"decision": "reject", "reason": "Mietkonto unvollständig"},
                                 headers=world.tokens.finance())
    assert rejected.status_code == 200 and rejected.json["status"] == "rejected"
    world.claim(contract, first="2027-02", last="2027-03", amount=10_000)


def test_no_claims_on_a_draft_or_for_more_than_the_rent(world):
    company = world.company()
    draft = world.contract(company, active=False)
    response = world.claim(draft, expect=409)
    assert response["code"] == "contract.not_active"
    active = world.contract(company)
    too_much = world.claim(active, amount=80_001, expect=422)  # one month of 618 + 182 EUR
    assert too_much["code"] == "claim.amount_exceeds_rent"


BAD_CLAIM_INPUT = [
    ({"amount_cents": "500"}, "amount_cents"),
    ({"amount_cents": 12.5}, "amount_cents"),
    ({"amount_cents": 0}, "amount_cents"),
    ({"kind": "lottery"}, "kind"),
    ({"surprise": 1}, "surprise"),
    ({"evidence": []}, "evidence"),
    ({"evidence": [document(kind="invoice")]}, "evidence"),  # arrears need the rent ledger
    ({"evidence": [{**document(), "content_base64": "%%%"}]}, "evidence"),
    ({"evidence": [document(content=PNG_BYTES)]}, "evidence"),  # says PDF, is PNG
    ({"evidence": [{**document(), "filename": "../../etc/passwd"}]}, "evidence"),
    ({"period": {"first": "2027-1", "last": "2027-01"}}, "period"),
    ({"period": None}, "period"),
]


def test_bad_claim_input_is_422_naming_the_field(setup, db):
    world, company, contract = setup
    before = _counts(db)
    for change, field in BAD_CLAIM_INPUT:
        body = {"kind": "rent_arrears", "amount_cents": 1_000, "description": "x",
                "period": {"first": "2027-01", "last": "2027-01"}, "evidence": [document()], **change}
        response = world.client.post(f"/api/v1/contracts/{contract['id']}/claims", json=body,
                                     headers=world.tokens.company(company))
        assert response.status_code == 422, (change, response.json)
        assert response.headers["Content-Type"] == "application/problem+json"
        assert field in response.json["errors"]["json"], (change, response.json)
    assert _counts(db) == before


def test_finance_decides_once_partly_with_reason_and_records_the_payout_once(setup, worker, bus):
    world, company, contract = setup
    capture = bus.capture("contracts.claim.#")
    claim = world.claim(contract, kind="damage_repairs", amount=300_000)
    url = f"/api/v1/claims/{claim['id']}"
    fin = world.tokens.finance()
    assert world.client.post(f"{url}/decision", json={"decision": "approve"},
                             headers=world.tokens.company(company)).status_code == 403
    assert world.client.post(f"{url}/payout", json={"reference": "ZA-1"}, headers=fin).json["code"] == "claim.not_approved"
    no_reason = world.client.post(f"{url}/decision", json={"decision": "approve", "approved_cents": 200_000}, headers=fin)
    assert no_reason.status_code == 422 and "reason" in no_reason.json["errors"]["json"]
    over = world.client.post(f"{url}/decision", json={"decision": "approve", "approved_cents": 300_001,
                                                      "reason": "x"}, headers=fin)
    assert over.status_code == 422 and "approved_cents" in over.json["errors"]["json"]
    decided = world.client.post(f"{url}/decision", json={"decision": "approve", "approved_cents": 200_000,
                                                         "reason": "Abzug neu für alt"}, headers=fin)
    assert decided.status_code == 200
    assert decided.json["status"] == "partially_approved" and decided.json["approved_cents"] == 200_000
    again = world.client.post(f"{url}/decision", json={"decision": "reject", "reason": "x"}, headers=fin)
    assert again.status_code == 409 and again.json["code"] == "claim.not_open_for_decision"
    event = capture.wait_for("contracts.claim.decided")
    assert event["data"]["approved_cents"] == 200_000 and event["data"]["status"] == "partially_approved"
    assert event["data"]["reason"] == "Abzug neu für alt"
    paid = world.client.post(f"{url}/payout", json={"reference": "ZA-2027-0815"}, headers=fin)
    assert paid.status_code == 200 and paid.json["status"] == "paid"
    twice = world.client.post(f"{url}/payout", json={"reference": "ZA-2027-0816"}, headers=fin)
    assert twice.status_code == 409 and twice.json["code"] == "claim.already_paid"
    assert capture.wait_for("contracts.claim.paid")["data"]["approved_cents"] == 200_000
    remaining = world.client.get(f"/api/v1/contracts/{contract['id']}", headers=fin).json["coverage"]
    assert {c["name"]: c["remaining_cents"] for c in remaining}["repairs_subsidy"] == 800_000


def test_returned_claim_is_answered_by_the_company_and_decided_again(setup):
    world, company, contract = setup
    claim = world.claim(contract, kind="damage_repairs", amount=100_000)
    url = f"/api/v1/claims/{claim['id']}"
    returned = world.client.post(f"{url}/decision", json={"decision": "return", "reason": "Bitte Fotos"},
                                 headers=world.tokens.finance())
    assert returned.json["status"] == "returned"
    assert world.client.post(f"{url}/decision", json={"decision": "approve"},
                             headers=world.tokens.finance()).status_code == 409
    photo = document(kind="photo", content=PNG_BYTES, content_type="image/png", filename="schaden.png")
    answer = world.client.post(f"{url}/resubmit", json={"description": "Fotos anbei", "evidence": [photo],
                                                        "amount_cents": 90_000},
                               headers=world.tokens.company(company))
    assert answer.status_code == 200
    assert answer.json["status"] == "submitted" and answer.json["amount_cents"] == 90_000
    assert [d["kind"] for d in answer.json["documents"]] == ["invoice", "photo"]
    doc_id = answer.json["documents"][1]["id"]
    download = world.client.get(f"{url}/documents/{doc_id}", headers=world.tokens.company(company))
    assert download.status_code == 200 and download.data == PNG_BYTES and download.mimetype == "image/png"
    approved = world.client.post(f"{url}/decision", json={"decision": "approve"}, headers=world.tokens.finance())
    assert approved.json["approved_cents"] == 90_000
    history = world.client.get(f"/api/v1/contracts/{contract['id']}/history", headers=world.tokens.staff()).json
    assert [(h["action"], h["from_state"], h["to_state"]) for h in history if h["entity"] == "claim"] == [
        ("submitted", None, "submitted"), ("decided_return", "submitted", "returned"),
        ("resubmitted", "returned", "submitted"), ("decided_approve", "submitted", "approved")]
    assert [h["actor_role"] for h in history if h["entity"] == "claim"] == ["company", "finance", "company", "finance"]


def test_withdrawn_claim_frees_its_amount(setup):
    world, company, contract = setup
    claim = world.claim(contract, kind="legal_eviction", amount=500_000)
    world.claim(contract, kind="legal_eviction", amount=1, expect=422)
    response = world.client.post(f"/api/v1/claims/{claim['id']}/withdraw", headers=world.tokens.company(company))
    assert response.status_code == 200 and response.json["status"] == "withdrawn"
    world.claim(contract, kind="legal_eviction", amount=500_000)


def test_claims_after_the_end_within_grace_only(world):
    company = world.company()
    contract = world.contract(company)
    world.client.post(f"/api/v1/contracts/{contract['id']}/terminate",
                      json={"reason": "eviction", "effective_on": "2027-04-30"}, headers=world.tokens.staff())
    world.claim(contract, first="2027-04", amount=1_000)  # ended, inside the shortened term
    assert world.claim(contract, first="2027-05", amount=1_000, expect=422)["code"] == "claim.period_outside_term"
    world.clock.freeze(world.clock.now().replace(month=10, day=28))  # 181 days after 30 April
    assert world.claim(contract, first="2027-03", amount=1_000, expect=409)["code"] == "contract.grace_period_over"


def test_claim_lists_filter_and_scope(setup):
    world, company, contract = setup
    other = world.company()
    others_contract = world.contract(other)
    world.claim(contract, first="2027-01", amount=1_000)
    mine = world.claim(contract, kind="damage_repairs", amount=2_000)
    world.claim(others_contract, first="2027-01", amount=1_000)
    headers = world.tokens.company(company)
    assert len(world.client.get("/api/v1/claims", headers=headers).json) == 2
    filtered = world.client.get("/api/v1/claims?kind=damage_repairs", headers=headers).json
    assert [c["id"] for c in filtered] == [mine["id"]]
    assert len(world.client.get("/api/v1/claims?status=submitted", headers=world.tokens.finance()).json) == 3
    assert len(world.client.get(f"/api/v1/claims?company_id={other}", headers=world.tokens.finance()).json) == 1
    assert world.client.get(f"/api/v1/claims?company_id={other}", headers=headers).json == []
    assert len(world.client.get(f"/api/v1/contracts/{contract['id']}/claims", headers=headers).json) == 2
    assert world.client.get("/api/v1/claims?status=maybe", headers=headers).status_code == 422


def test_a_document_over_5_mb_is_refused_one_at_5_mb_accepted(setup):
    world, company, contract = setup
    limit = 5 * 1024 * 1024
    exact = base64.b64encode(b"%PDF-" + b"0" * (limit - 5)).decode()
    body = {"kind": "damage_repairs", "amount_cents": 1_000, "description": "x",
            "evidence": [{"kind": "invoice", "filename": "r.pdf", "content_type": "application/pdf",
                          "content_base64": exact}]}
    response = world.client.post(f"/api/v1/contracts/{contract['id']}/claims", json=body,
                                 headers=world.tokens.company(company))
    assert response.status_code == 201, response.json
    assert response.json["documents"][0]["size"] == limit
    big = base64.b64encode(b"%PDF-" + b"0" * limit).decode()
    body = {"kind": "damage_repairs", "amount_cents": 1_000, "description": "x",
            "evidence": [{"kind": "invoice", "filename": "r.pdf", "content_type": "application/pdf",
                          "content_base64": big}]}
    response = world.client.post(f"/api/v1/contracts/{contract['id']}/claims", json=body,
                                 headers=world.tokens.company(company))
    assert response.status_code == 422
    assert "evidence" in response.json["errors"]["json"]


def test_a_retried_claim_with_the_same_idempotency_key_is_filed_once(setup, db):
    world, company, contract = setup
    body = {"kind": "damage_repairs", "amount_cents": 5_000, "description": "Tür", "evidence": [document("invoice")]}
    headers = {**world.tokens.company(company), "Idempotency-Key": "retry-0001-abc"}
    url = f"/api/v1/contracts/{contract['id']}/claims"
    first = world.client.post(url, json=body, headers=headers)
    again = world.client.post(url, json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json["id"] == first.json["id"] and again.headers["Idempotent-Replayed"] == "true"
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Claim)) == 1
    other = world.client.post(url, json={**body, "amount_cents": 6_000}, headers=headers)
    assert other.status_code == 422 and "Idempotency-Key" in other.json["errors"]["headers"]
    bad = world.client.post(url, json=body, headers={**headers, "Idempotency-Key": "x"})
    assert bad.status_code == 422
    # without a key, the same request is a second claim
    assert world.client.post(url, json=body, headers=world.tokens.company(company)).json["id"] != first.json["id"]
    # keys are per company: another company's identical key is its own
    assert world.client.post(url, json=body, headers={**world.tokens.company(world.company()),
                                                      "Idempotency-Key": "retry-0001-abc"}).status_code == 404


def test_documents_with_any_file_name_download(setup):
    world, company, contract = setup
    name = 'Rechnung "Łódź" Müller.pdf'
    body = {"kind": "damage_repairs", "amount_cents": 1_000, "description": "x",
            "evidence": [document("invoice", filename=name)]}
    claim = world.client.post(f"/api/v1/contracts/{contract['id']}/claims", json=body,
                              headers=world.tokens.company(company)).json
    response = world.client.get(f"/api/v1/claims/{claim['id']}/documents/{claim['documents'][0]['id']}",
                                headers=world.tokens.company(company))
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    disposition = response.headers["Content-Disposition"]
    assert 'filename="Rechnung ___d__ M_ller.pdf"' in disposition
    assert "filename*=UTF-8''Rechnung%20%22%C5%81%C3%B3d%C5%BA%22%20M%C3%BCller.pdf" in disposition
