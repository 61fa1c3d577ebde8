"""A housing company's part of the story through clients generated from the OpenAPI documents, as
the company's developer would build them: `openapi-python-client` (pinned in constraints.txt) over
matching's and contracts' /openapi.json, into a temporary folder, and only typed results read —
no dict digging, no `additional_properties`. What the company does here: offer a flat, answer a
proposal, record the lease, find the contract of that proposal, sign, read its signature, download
the PDF, file a claim with an uploaded invoice and page through its claims.

The social office's side (referral, proposal, the household's answer, the city's signature) is
plain HTTP: it is not the company's client. The running system is the end-to-end tests' shared one
(conftest.py)."""

from __future__ import annotations

import datetime as dt
import importlib
import io
import json
import subprocess
import sys
import uuid

import pytest
import requests

from servicekit.testing import wait_until
from servicekit.workdays import BERLIN
from system import BIN

CONFIG = """\
# PDFs are bytes to a generated client; without this it drops the response ("Unsupported content_type")
content_type_overrides:
  application/pdf: application/octet-stream
post_hooks: []
"""
FLAT = {"street": "Schwabstraße 40", "postal_code": "70197", "rooms": 2.0, "area_m2": 54.0, "floor": 1, "lift": True, "cold_rent_cents": 52_000, "service_charges_cents": 14_000, "heating_cents": 7_000}
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture(scope="module")
def generated(system, tmp_path_factory):
    """`matching_client` and `contracts_client`, generated from the running services' documents."""
    out = tmp_path_factory.mktemp("generated")
    (out / "config.yaml").write_text(CONFIG)
    for service in ("matching", "contracts"):
        document = out / f"{service}.json"
        document.write_text(json.dumps(requests.get(f"{system.url(service)}/openapi.json", timeout=30).json()))
        done = subprocess.run([str(BIN / "openapi-python-client"), "generate", "--path", str(document),
                               "--config", str(out / "config.yaml"), "--meta", "none",
                               "--output-path", str(out / f"{service}_client")],
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        # every operation and response made it into the client: the generator warns about what it drops
        assert "Warning" not in done.stdout + done.stderr, done.stdout + done.stderr
    sys.path.insert(0, str(out))
    try:
        yield out
    finally:
        sys.path.remove(str(out))


def _import(name: str):
    return importlib.import_module(name)


def test_a_company_lives_its_part_of_the_story_through_a_generated_client(system, generated):
    m, c = _import("matching_client"), _import("contracts_client")
    m_models, c_models = _import("matching_client.models"), _import("contracts_client.models")
    from matching_client.api.companies import get_company
    from matching_client.api.flats import create_flat
    from matching_client.api.proposals import accept_proposal, get_proposal, lease_proposal
    from contracts_client.api.contracts import (
        create_contract_claim, get_contract_document, list_contract_claims, list_contracts, sign_contract)
    from contracts_client.types import File

    admin, staff = system.token("admin"), system.token("staff", sub="generated-client-staff")
    run = system.run_id
    company = requests.post(f"{system.url('contracts')}/api/v1/companies", headers=admin, timeout=15, json={
        "name": f"Generiert Wohnen {run}", "email": f"vermietung-gen-{run}@wohnbau.example",
        "street": "Königstraße 1", "postal_code": "70173", "city": "Stuttgart"}).json()
    bearer = system.token("company", company_id=company["id"], sub="generated-client-company")["Authorization"]
    token = bearer.removeprefix("Bearer ")
    matching = m.AuthenticatedClient(base_url=system.url("matching"), token=token, raise_on_unexpected_status=True)
    contracts = c.AuthenticatedClient(base_url=system.url("contracts"), token=token, raise_on_unexpected_status=True)

    # matching learns of the company from contracts' event; the client asks until it has
    def registered():
        answer = get_company.sync(uuid.UUID(company["id"]), client=matching)
        return answer if isinstance(answer, m_models.RegisteredCompanyOut) else None  # a Problem (404) before

    known = wait_until(registered, timeout=60, interval=0.2, message="matching never learned of the company")
    assert isinstance(known.registered_at, dt.datetime)

    # offer a flat
    today = dt.datetime.now(BERLIN).date()
    flat = create_flat.sync(client=matching, body=m_models.FlatIn(
        **FLAT, district=m_models.FlatInDistrict.WEST, available_from=today, unit_ref=f"GEN-{run}"))
    assert isinstance(flat, m_models.FlatOut), flat
    assert flat.company_id == company["id"] and flat.status == "offered" and flat.gross_rent_cents == 73_000

    # the social office refers a household and proposes it this flat (not the company's client)
    household = requests.post(f"{system.url('matching')}/api/v1/households", headers=staff, timeout=15, json={
        "referral_no": f"GEN-{run}-1", "adults": 2, "urgency": "threatened_homelessness",
        "name": "Familie Generiert", "email": f"familie-gen-{run}@haushalt.example"}).json()
    proposal_id = requests.post(f"{system.url('matching')}/api/v1/proposals", headers=staff, timeout=15, json={
        "flat_id": flat.id, "household_id": household["id"]}).json()["id"]

    # answer the proposal (the token says who answers: no party)
    proposal = get_proposal.sync(uuid.UUID(proposal_id), client=matching)
    assert isinstance(proposal, m_models.ProposalOut) and proposal.status == "open" and proposal.referral_no is None
    accepted = accept_proposal.sync(uuid.UUID(proposal_id), client=matching, body=m_models.PartyIn())
    assert isinstance(accepted, m_models.ProposalOut) and accepted.company_answer == "accepted"
    assert accepted.referral_no == f"GEN-{run}-1"  # known to the company once it accepted
    assert requests.post(f"{system.url('matching')}/api/v1/proposals/{proposal_id}/accept", headers=staff,
                         timeout=15, json={"party": "household"}).status_code == 200

    # record the lease
    leased = lease_proposal.sync(uuid.UUID(proposal_id), client=matching, body=m_models.LeaseIn(
        lease_start=today, unlimited=True, cold_rent_cents=FLAT["cold_rent_cents"],
        service_charges_cents=FLAT["service_charges_cents"], heating_cents=FLAT["heating_cents"]))
    assert isinstance(leased, m_models.ProposalOut) and leased.status == "leased"

    # find the contract of that proposal (it arrives with matching.tenancy.agreed)
    [contract] = wait_until(lambda: list_contracts.sync(client=contracts, proposal_id=uuid.UUID(proposal_id)) or None,
                            timeout=60, interval=0.3, message="no contract for the proposal")
    assert isinstance(contract, c_models.ContractOut) and contract.company_id == company["id"]
    assert contract.term_start == today and contract.referral_no == f"GEN-{run}-1"
    assert contract.company_signature is None  # a real `SignatureOut | None`, not an empty model

    # sign (the token decides the party), the city too; read the company's signature
    signed = sign_contract.sync(uuid.UUID(contract.id), client=contracts, body=c_models.SignIn())
    assert isinstance(signed, c_models.ContractOut)
    assert isinstance(signed.company_signature, c_models.SignatureOut), signed.company_signature
    assert isinstance(signed.company_signature.signed_at, dt.datetime)
    assert abs(signed.company_signature.signed_at - dt.datetime.now(dt.timezone.utc)) < dt.timedelta(minutes=5)
    assert signed.city_signature is None
    city = requests.post(f"{system.url('contracts')}/api/v1/contracts/{contract.id}/sign", headers=staff, timeout=30,
                         json={})
    assert city.status_code == 200 and city.json()["state"] == "active", city.text

    # download the PDF
    document = get_contract_document.sync(uuid.UUID(contract.id), client=contracts)
    assert isinstance(document, File), document
    assert document.payload.read(5) == b"%PDF-"

    # file claims with an uploaded invoice (multipart), then page through them
    for n in range(3):
        claim = create_contract_claim.sync(uuid.UUID(contract.id), client=contracts, body=c_models.ClaimUploadIn(
            kind=c_models.ClaimUploadInKind.DAMAGE_REPAIRS, amount_cents=12_000 + n,
            description=f"Türschloss ersetzt ({n + 1})",
            invoice=[File(payload=io.BytesIO(PDF), file_name=f"rechnung-{n + 1}.pdf", mime_type="application/pdf")]),
            idempotency_key=f"gen-{run}-{n}")
        assert isinstance(claim, c_models.ClaimOut), claim
        assert claim.status == "submitted" and claim.amount_cents == 12_000 + n and claim.period is None
        [invoice] = claim.documents
        assert isinstance(invoice, c_models.DocumentOut) and invoice.kind == "invoice"
    seen, page = [], 1
    while True:
        answer = list_contract_claims.sync_detailed(uuid.UUID(contract.id), client=contracts, page=page, page_size=2)
        assert answer.status_code == 200 and all(isinstance(item, c_models.ClaimOut) for item in answer.parsed)
        seen += [item.amount_cents for item in answer.parsed]
        if 'rel="next"' not in answer.headers.get("Link", ""):
            break
        page += 1
    assert page == 2 and seen == [12_000, 12_001, 12_002]
