"""Claims filed as `multipart/form-data`: evidence as file parts named after their kind, the same
rules and answers as the JSON body, errors naming the part, retries safe across new boundaries."""

import io

import pytest
from sqlalchemy import func, select

from servicekit.db import audit_log, outbox

from contracts.models import Claim, ClaimDocument
from contracts_testkit import PDF_BYTES, PNG_BYTES

LIMIT = 5 * 1024 * 1024


def _counts(db):
    with db.session() as s:
        return tuple(s.scalar(select(func.count()).select_from(t)) for t in (Claim, ClaimDocument, outbox, audit_log))


def part(content=PDF_BYTES, filename="mietkonto.pdf", content_type="application/pdf"):
    return (io.BytesIO(content), filename, content_type)


@pytest.fixture
def setup(world):
    company = world.company()
    contract = world.contract(company)
    url = f"/api/v1/contracts/{contract['id']}/claims"

    def upload(form, headers=None, expect=None):
        response = world.client.post(url, data=form, content_type="multipart/form-data",
                                     headers=headers or world.tokens.company(company))
        if expect is not None:
            assert response.status_code == expect, response.json
        return response

    return world, company, contract, upload


def arrears(**extra):
    return {"kind": "rent_arrears", "amount_cents": "160000", "period": "2027-01/2027-02",
            "description": "Miete offen laut Mietkonto", "rent_ledger": part(), **extra}


def test_an_uploaded_claim_is_filed_like_a_json_one_and_its_files_download(setup, worker, bus):
    world, company, contract, upload = setup
    capture = bus.capture("contracts.claim.#")
    claim = upload(arrears(photo=[part(PNG_BYTES, "tür.png", "image/png"), part(PNG_BYTES, "flur.png", "image/png")]),
                   expect=201).json
    assert claim["status"] == "submitted" and claim["amount_cents"] == 160_000
    assert claim["period"] == {"first": "2027-01", "last": "2027-02"}
    assert sorted((d["kind"], d["filename"], d["content_type"]) for d in claim["documents"]) == [
        ("photo", "flur.png", "image/png"), ("photo", "tür.png", "image/png"),
        ("rent_ledger", "mietkonto.pdf", "application/pdf")]
    assert capture.wait_for("contracts.claim.submitted")["data"]["claim_id"] == claim["id"]
    ledger = next(d for d in claim["documents"] if d["kind"] == "rent_ledger")
    download = world.client.get(f"/api/v1/claims/{claim['id']}/documents/{ledger['id']}",
                                headers=world.tokens.company(company))
    assert download.status_code == 200 and download.data == PDF_BYTES
    after = world.client.get(f"/api/v1/contracts/{contract['id']}", headers=world.tokens.company(company)).json
    assert {c["name"]: c["remaining_cents"] for c in after["coverage"]}["rent_arrears"] == 1_200_000 - 160_000


def test_one_month_and_a_part_without_its_own_type_are_understood(setup):
    _world, _company, _contract, upload = setup
    # upload tools often send application/octet-stream: the content decides, and must be allowed
    claim = upload(arrears(period="2027-03", amount_cents="50000", rent_ledger=part(content_type="application/octet-stream")),
                   expect=201).json
    assert claim["period"] == {"first": "2027-03", "last": "2027-03"}
    assert claim["documents"][0]["content_type"] == "application/pdf"


@pytest.mark.parametrize(("change", "field"), [
    ({"amount_cents": "1.5"}, "amount_cents"),
    ({"amount_cents": "0"}, "amount_cents"),
    ({"kind": "flood"}, "kind"),
    ({"period": "2027-13"}, "period"),
    ({"period": "2027-03/2027-01"}, "period"),
    ({"description": ""}, "description"),
    ({"rent_ledger": part(b"MZ\x90\x00 not a pdf")}, "rent_ledger"),
    ({"rent_ledger": part(b"MZ\x90\x00", content_type="application/octet-stream")}, "rent_ledger"),
    ({"rent_ledger": part(content_type="text/html")}, "rent_ledger"),
    ({"rent_ledger": part(b"")}, "rent_ledger"),
    ({"rent_ledger": part(filename="../../etc/passwd")}, "rent_ledger"),
    ({"rent_ledger": "just text"}, "rent_ledger"),
    ({"note": "hello"}, "note"),
    ({"amount_cents": ["100", "200"]}, "amount_cents"),
])
def test_bad_upload_input_is_422_naming_the_part_and_writes_nothing(setup, db, change, field):
    _world, _company, _contract, upload = setup
    before = _counts(db)
    response = upload(arrears(**change), expect=422)
    assert response.headers["Content-Type"] == "application/problem+json"
    assert field in response.json["errors"]["form"], response.json
    assert _counts(db) == before


def test_the_domain_rules_answer_with_their_code_naming_the_part(setup, db):
    _world, _company, _contract, upload = setup
    before = _counts(db)
    form = arrears(invoice=part())
    del form["rent_ledger"]
    missing = upload(form, expect=422).json
    assert missing["code"] == "claim.evidence_missing" and "rent_ledger" in missing["errors"]["form"]
    over = upload(arrears(amount_cents="2000000"), expect=422).json
    assert over["code"] in ("claim.cap_exceeded", "claim.amount_exceeds_rent") and "amount_cents" in over["errors"]["form"]
    future = upload(arrears(period="2027-07"), expect=422).json
    assert future["code"] == "claim.period_in_future" and "period" in future["errors"]["form"]
    too_many = upload(arrears(photo=[part(PNG_BYTES, f"{i}.png", "image/png") for i in range(10)]), expect=422).json
    assert "photo" in too_many["errors"]["form"]
    assert _counts(db) == before


def test_a_file_of_exactly_5_mb_is_accepted_one_byte_more_is_not(setup):
    _world, _company, _contract, upload = setup
    form = {"kind": "damage_repairs", "amount_cents": "1000", "description": "Tür"}
    exact = upload({**form, "invoice": part(b"%PDF-" + b"0" * (LIMIT - 5), "r.pdf")}, expect=201).json
    assert exact["documents"][0]["size"] == LIMIT
    big = upload({**form, "invoice": part(b"%PDF-" + b"0" * (LIMIT - 4), "r.pdf")}, expect=422).json
    assert "invoice" in big["errors"]["form"]


def test_a_retried_upload_with_the_same_key_is_filed_once_though_its_boundary_changed(setup, db):
    world, company, _contract, upload = setup
    headers = {**world.tokens.company(company), "Idempotency-Key": "upload-0001-abc"}
    first = upload(arrears(), headers=headers, expect=201)
    again = upload(arrears(), headers=headers, expect=201)
    assert again.json["id"] == first.json["id"] and again.headers["Idempotent-Replayed"] == "true"
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Claim)) == 1
    # another file under the same key is another request
    other = upload(arrears(rent_ledger=part(PDF_BYTES + b"% page 2\n")), headers=headers, expect=422)
    assert "Idempotency-Key" in other.json["errors"]["headers"]


def test_only_the_owning_company_uploads(setup):
    world, _company, _contract, upload = setup
    assert upload(arrears(), headers=world.tokens.company(world.company())).status_code == 404
    assert upload(arrears(), headers=world.tokens.staff()).status_code == 403


def test_the_openapi_document_offers_both_bodies(client):
    spec = client.get("/openapi.json").json
    body = spec["paths"]["/api/v1/contracts/{contract_id}/claims"]["post"]["requestBody"]
    assert set(body["content"]) == {"application/json", "multipart/form-data"}
    ref = body["content"]["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[1]
    properties = spec["components"]["schemas"][ref]["properties"]
    assert properties["rent_ledger"]["items"] == {"type": "string", "format": "binary"}
    assert {"kind", "amount_cents", "period", "description", "invoice", "photo", "other"} <= set(properties)
    assert "422" in spec["paths"]["/api/v1/contracts/{contract_id}/claims"]["post"]["responses"]
