"""Company A against each of company B's resources: always 404, exactly as for an unknown id, and
nothing written."""

import uuid

import pytest
from sqlalchemy import func, select

from servicekit.db import audit_log, outbox

from contracts_testkit import document


@pytest.fixture
def two_companies(world):
    a, b = world.company(), world.company()
    contract_b = world.contract(b)
    claim_b = world.claim(contract_b, kind="damage_repairs", amount=10_000)
    returned_b = world.claim(contract_b, kind="legal_eviction", amount=10_000)
    world.client.post(f"/api/v1/claims/{returned_b['id']}/decision", json={"decision": "return", "reason": "?"},
                      headers=world.tokens.finance())
    incident_b = world.client.post(f"/api/v1/contracts/{contract_b['id']}/incidents",
                                   json={"kind": "damage", "severity": "low", "description": "Wasserschaden"},
                                   headers=world.tokens.company(b)).json
    draft_b = world.contract(b, active=False)
    return world, a, {
        "company": b, "contract": contract_b["id"], "draft": draft_b["id"], "claim": claim_b["id"],
        "returned": returned_b["id"], "document": claim_b["documents"][0]["id"], "incident": incident_b["id"],
    }


CLAIM = {"kind": "damage_repairs", "amount_cents": 1_000, "description": "x", "evidence": [document("invoice")]}

CASES = [
    ("GET", "/api/v1/companies/{company}", None),
    ("GET", "/api/v1/contracts/{contract}", None),
    ("GET", "/api/v1/contracts/{contract}/document", None),
    ("GET", "/api/v1/contracts/{contract}/statement", None),
    ("GET", "/api/v1/contracts/{contract}/history", None),
    ("GET", "/api/v1/contracts/{contract}/claims", None),
    ("GET", "/api/v1/contracts/{contract}/incidents", None),
    ("POST", "/api/v1/contracts/{draft}/sign", {"party": "company"}),
    ("POST", "/api/v1/contracts/{contract}/claims", CLAIM),
    ("POST", "/api/v1/contracts/{contract}/incidents", {"kind": "other", "severity": "low", "description": "x"}),
    ("GET", "/api/v1/claims/{claim}", None),
    ("GET", "/api/v1/claims/{claim}/documents/{document}", None),
    ("POST", "/api/v1/claims/{returned}/resubmit", {"description": "x"}),
    ("POST", "/api/v1/claims/{claim}/withdraw", None),
    ("GET", "/api/v1/incidents/{incident}", None),
]


def test_company_a_gets_404_for_each_of_company_b_resources(two_companies, db):
    """One fixture, every case of the table (building B's objects once keeps the suite fast)."""
    world, a, b = two_companies

    def counts():
        with db.session() as s:
            return (s.scalar(select(func.count()).select_from(outbox)),
                    s.scalar(select(func.count()).select_from(audit_log)))

    before = counts()
    unknown = {k: str(uuid.uuid4()) for k in b}
    failures = []
    for method, path, body in CASES:
        response = world.client.open(path.format(**b), method=method, json=body, headers=world.tokens.company(a))
        if response.status_code != 404 or response.headers["Content-Type"] != "application/problem+json":
            failures.append((method, path, response.status_code))
        # the same answer as for an id that does not exist
        if world.client.open(path.format(**unknown), method=method, json=body,
                             headers=world.tokens.company(a)).status_code != 404:
            failures.append((method, path, "unknown id not 404"))
        # and company B itself may read it: the 404 is about ownership, not a broken route
        if method == "GET" and world.client.get(path.format(**b),
                                                headers=world.tokens.company(b["company"])).status_code != 200:
            failures.append((method, path, "owner cannot read"))
    assert failures == []
    assert counts() == before  # nothing written by any of the refused requests


def test_lists_of_company_a_hold_nothing_of_company_b(two_companies):
    world, a, b = two_companies
    for path in ("/api/v1/contracts", "/api/v1/claims", "/api/v1/incidents", "/api/v1/tenancies"):
        assert world.client.get(path, headers=world.tokens.company(a)).json == [], path
        assert world.client.get(path, headers=world.tokens.company(b["company"])).json != [], path
