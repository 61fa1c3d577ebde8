"""Every endpoint refuses callers without the role it needs, before touching anything."""

import pytest

from tests.helpers import COMPANY

ID = "00000000-0000-0000-0000-000000000001"
STAFF_ONLY = [
    ("get", "/api/v1/households"), ("post", "/api/v1/households"), ("get", f"/api/v1/households/{ID}"),
    ("post", f"/api/v1/households/{ID}/withdraw"), ("put", f"/api/v1/households/{ID}/rent-limit"),
    ("get", f"/api/v1/households/{ID}/why-not"), ("get", f"/api/v1/flats/{ID}/why-not"),
    ("post", "/api/v1/matching-runs"), ("get", "/api/v1/matching-runs"), ("get", f"/api/v1/matching-runs/{ID}"),
    ("post", "/api/v1/proposals"), ("get", "/api/v1/reports/declines"),
]
COMPANY_OR_STAFF = [
    ("get", "/api/v1/flats"), ("post", "/api/v1/flats"), ("get", f"/api/v1/flats/{ID}"), ("patch", f"/api/v1/flats/{ID}"),
    ("post", f"/api/v1/flats/{ID}/withdraw"), ("get", "/api/v1/proposals"), ("get", f"/api/v1/proposals/{ID}"),
    ("post", f"/api/v1/proposals/{ID}/accept"), ("post", f"/api/v1/proposals/{ID}/decline"),
    ("post", f"/api/v1/proposals/{ID}/lease"), ("get", f"/api/v1/companies/{ID}"),
]


@pytest.mark.parametrize("method,url", STAFF_ONLY + COMPANY_OR_STAFF)
def test_no_token_is_401_and_caseworker_is_403(client, tokens, method, url):
    assert getattr(client, method)(url, json={}).status_code == 401
    assert getattr(client, method)(url, json={}, headers=tokens.caseworker("cw-1")).status_code == 403


@pytest.mark.parametrize("method,url", STAFF_ONLY)
def test_companies_cannot_use_staff_endpoints(client, tokens, method, url):
    assert getattr(client, method)(url, json={}, headers=tokens.company(COMPANY)).status_code == 403


@pytest.mark.parametrize("method,url", [(m, u) for m, u in STAFF_ONLY + COMPANY_OR_STAFF if ID in u])
def test_unknown_ids_are_404_for_staff(client, tokens, method, url):
    bodies = {"withdraw": {"reason": "abc"}, "rent-limit": {"max_cold_rent_cents": 50_000, "reason": "abc"},
              "decline": {"party": "company", "reason": "other"}, "accept": {"party": "company"},
              "lease": {"lease_start": "2026-04-01", "unlimited": True, "cold_rent_cents": 1,
                        "service_charges_cents": 0, "heating_cents": 0}}
    body = next((b for k, b in bodies.items() if url.endswith(k)), {"cold_rent_cents": 40_000} if method == "patch" else {})
    assert getattr(client, method)(url, json=body, headers=tokens.staff()).status_code == 404


def test_openapi_document_lists_the_matching_endpoints(client):
    paths = client.get("/openapi.json").json["paths"]
    for url in ("/api/v1/flats", "/api/v1/matching-runs", "/api/v1/proposals/{proposal_id}/lease",
                "/api/v1/households/{household_id}/why-not", "/api/v1/reports/declines"):
        assert url in paths
