"""Evidence files (issue 23, finding 6), each test the attack of the outside probe: a name whose
extension claims another type than the content, bidi and control characters in names, the name a
download is served under, storage without a quota, and withdrawn claims' documents."""

from __future__ import annotations

import dataclasses
import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from servicekit.db import UnitOfWork

from contracts import config, erasure
from contracts.config import EvidenceQuota, load_program_config
from contracts.domain import berlin_date
from contracts.models import ClaimDocument
from contracts_testkit import PDF_BYTES, PNG_BYTES, document

HTML_IN_PDF = b"%PDF-1.4\n<html><script>alert(document.cookie)</script></html>"


@pytest.fixture
def setup(world):
    company = world.company()
    contract = world.contract(company)
    url = f"/api/v1/contracts/{contract['id']}/claims"

    def file(*docs, kind="damage_repairs", headers=None, multipart=False):
        headers = headers or world.tokens.company(company)
        if multipart:
            form = {"kind": kind, "amount_cents": "1000", "description": "Schaden"}
            for d in docs:
                form.setdefault(d["kind"], []).append((io.BytesIO(d["content"]), d["filename"], d["content_type"]))
            return world.client.post(url, data=form, content_type="multipart/form-data", headers=headers)
        body = {"kind": kind, "amount_cents": 1000, "description": "Schaden", "evidence": [
            document(d["kind"], content=d["content"], content_type=d["content_type"], filename=d["filename"])
            for d in docs]}
        return world.client.post(url, json=body, headers=headers)

    return world, company, contract, file


def doc(filename, content=PDF_BYTES, content_type="application/pdf", kind="invoice"):
    return {"kind": kind, "filename": filename, "content": content, "content_type": content_type}


def _stored(db):
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(ClaimDocument))


@pytest.mark.parametrize("multipart", [False, True])
@pytest.mark.parametrize("filename", ["rechnung.html", "rechnung.pdf.html", "rechnung", "rechnung.png",
                                      "rechnung\u202efdp.exe", "rechnung.svg"])
def test_a_name_whose_extension_is_not_the_content_type_is_refused(setup, db, multipart, filename):
    world, company, contract, file = setup
    response = file(doc(filename, HTML_IN_PDF), multipart=multipart)
    assert response.status_code == 422, response.json
    assert response.mimetype == "application/problem+json"
    assert _stored(db) == 0


@pytest.mark.parametrize("multipart", [False, True])
def test_bidi_overrides_zero_width_and_control_characters_leave_the_name(setup, multipart):
    world, company, contract, file = setup
    # U+202E makes "Rechnung‮fdp.pdf" read as "Rechnungfdp.pdf" reversed; U+200B, U+2066 and U+FEFF draw nothing
    claim = file(doc("Rech\u200bnung\u2066 \u202eMai\ufeff   2027.pdf"),
                 doc("foto\u202e.PNG", PNG_BYTES, "image/png", "photo"), multipart=multipart)
    assert claim.status_code == 201, claim.json
    names = sorted(d["filename"] for d in claim.json["documents"])
    assert names == ["Rechnung Mai 2027.pdf", "foto.PNG"]
    assert not any(ord(c) in (0x202E, 0x200B, 0x2066, 0xFEFF) for name in names for c in name)


def test_a_name_of_only_invisible_characters_is_refused(setup, db):
    world, company, contract, file = setup
    assert file(doc("\u202e\u200b.pdf")).status_code == 422
    assert _stored(db) == 0


def test_the_download_is_named_after_the_checked_type_not_the_uploaded_name(setup, db):
    """A document stored before the check (or whatever its name) is served with its type's extension:
    `rechnung.html` holding a PDF downloads as `rechnung.pdf`, bidi characters removed."""
    world, company, contract, file = setup
    claim = file(doc("rechnung.pdf")).json
    with db.session() as s:
        stored = s.get(ClaimDocument, claim["documents"][0]["id"])
        stored.filename = "rechnung\u202e.html"  # as the probe left it in the database
        s.commit()
    response = world.client.get(f"/api/v1/claims/{claim['id']}/documents/{claim['documents'][0]['id']}",
                                headers=world.tokens.finance())
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == "attachment; filename=\"rechnung.pdf\"; filename*=UTF-8''rechnung.pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def _quota(monkeypatch, **limits):
    limited = dataclasses.replace(load_program_config(), evidence_quota=EvidenceQuota(**limits))
    monkeypatch.setattr(config, "program_config", lambda: limited)


def test_the_per_contract_quota_stops_small_claims_without_end(setup, db, monkeypatch):
    """The probe filed small claims on one contract without limit; the contract's documents count."""
    world, company, contract, file = setup
    _quota(monkeypatch, per_contract_documents=3)
    for _ in range(3):
        assert file(doc("rechnung.pdf")).status_code == 201
    refused = file(doc("rechnung.pdf"))
    assert refused.status_code == 422 and refused.json["code"] == "claim.evidence_quota_contract"
    assert _stored(db) == 3
    # withdrawing does not give the room back: withdraw-and-refile would reset the quota otherwise
    first = world.client.get(f"/api/v1/contracts/{contract['id']}/claims", headers=world.tokens.company(company)).json[0]
    assert world.client.post(f"/api/v1/claims/{first['id']}/withdraw", json={},
                             headers=world.tokens.company(company)).status_code == 200
    assert file(doc("rechnung.pdf")).json["code"] == "claim.evidence_quota_contract"


def test_the_per_contract_byte_quota(setup, db, monkeypatch):
    world, company, contract, file = setup
    big = b"%PDF-1.4\n" + b"x" * 1000
    _quota(monkeypatch, per_contract_bytes=2 * len(big) + 10)
    assert file(doc("a.pdf", big), doc("b.pdf", big)).status_code == 201
    assert file(doc("c.pdf", big)).json["code"] == "claim.evidence_quota_contract"


def test_the_per_company_quota_counts_all_its_contracts_of_the_day_and_starts_again_the_next(world, db, clock,
                                                                                                monkeypatch):
    """Two requests of 31.7 MB stored 14 documents in 0.6 s: a company's uploads of a day are bounded
    across its contracts; the next Berlin day has its own allowance."""
    company = world.company()
    contracts = [world.contract(company) for _ in range(2)]
    _quota(monkeypatch, per_company_day_documents=4)
    clock.freeze(clock.now().replace(hour=10))

    def claim(contract, n):
        body = {"kind": "damage_repairs", "amount_cents": 100, "description": "Schaden",
                "evidence": [document("invoice", filename=f"r{i}.pdf") for i in range(n)]}
        return world.client.post(f"/api/v1/contracts/{contract['id']}/claims", json=body,
                                 headers=world.tokens.company(company))

    assert claim(contracts[0], 3).status_code == 201
    refused = claim(contracts[1], 2)
    assert refused.status_code == 422 and refused.json["code"] == "claim.evidence_quota_day"
    assert claim(contracts[1], 1).status_code == 201
    clock.advance(days=1)
    assert claim(contracts[1], 4).status_code == 201


def test_quota_defaults_come_from_program_json():
    assert load_program_config().evidence_quota == EvidenceQuota(100, 100 * 1024 * 1024, 200, 250 * 1024 * 1024)


def test_a_withdrawn_claims_documents_are_not_handed_out_and_go_with_the_retention(setup, db, clock):
    world, company, contract, file = setup
    claim = file(doc("rechnung.pdf")).json
    url = f"/api/v1/claims/{claim['id']}/documents/{claim['documents'][0]['id']}"
    assert world.client.get(url, headers=world.tokens.company(company)).status_code == 200
    assert world.client.post(f"/api/v1/claims/{claim['id']}/withdraw", json={},
                             headers=world.tokens.company(company)).status_code == 200
    assert world.client.get(url, headers=world.tokens.company(company)).status_code == 404
    assert world.client.get(url, headers=world.tokens.finance()).status_code == 404
    assert world.client.get(url, headers=world.tokens.staff()).status_code == 200  # the social office, for now

    periods = erasure.Periods(timedelta(180), timedelta(3653), timedelta(7), withdrawn_evidence=timedelta(30))

    def retention():
        with UnitOfWork(db, "contracts", clock=clock) as unit:
            erasure.run_retention(unit, periods, berlin_date(clock.now()))
            unit.commit()

    clock.advance(days=29)
    retention()
    assert world.client.get(url, headers=world.tokens.staff()).status_code == 200
    clock.advance(days=2)
    retention()
    assert world.client.get(url, headers=world.tokens.staff()).status_code == 404
    with db.session() as s:
        stored = s.get(ClaimDocument, claim["documents"][0]["id"])
        assert stored.content == b"" and stored.filename != "rechnung.pdf" and stored.sha256 and stored.size
