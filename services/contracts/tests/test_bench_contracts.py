"""Opt-in measurements, skipped in the suite. From services/contracts:

    CONTRACTS_BENCH=1 ../../.venv/bin/python -m pytest -p no:cacheprovider -q -s tests/test_bench_contracts.py

Prints PDF render time, and claim filing (POST with one evidence document), contract reads and
list pages per second through the Flask test client on the test PostgreSQL database (one thread:
the service's own cost, not gunicorn's).
"""

import os
import statistics
import time
from datetime import date, datetime, timezone

import pytest

pytestmark = pytest.mark.skipif(not os.environ.get("CONTRACTS_BENCH"), reason="set CONTRACTS_BENCH=1")


def _report(name, samples):
    samples = sorted(samples)
    p50 = statistics.median(samples) * 1000
    p95 = samples[int(len(samples) * 0.95) - 1] * 1000
    print(f"\n{name}: n={len(samples)} p50={p50:.1f} ms p95={p95:.1f} ms ~{len(samples) / sum(samples):.0f}/s")


def test_pdf_render_time():
    from contracts.documents import CapLine, ContractDocument, render_contract_pdf

    doc = ContractDocument(
        contract_no="GV-2026-00042", state="active", company_name="Wohnbau Süd GmbH", company_address="Königstraße 1",
        household_name="Familie Müller", household_reference="HH-1", flat_street="Böblinger Straße 12",
        flat_postal_code="70178", flat_city="Stuttgart", flat_district="Süd", lease_start=date(2026, 3, 1),
        cold_rent_cents=61_800, service_charges_cents=18_200, heating_cents=9_000, term_start=date(2026, 3, 1),
        term_end=date(2031, 2, 28), caps=(CapLine("rent_arrears", ("rent_arrears",), 1_200_000, 1_100_000),),
        city_signed_at=datetime(2026, 2, 20, tzinfo=timezone.utc), company_signed_at=None,
        generated_at=datetime(2026, 3, 1, tzinfo=timezone.utc))
    samples = []
    for _ in range(30):
        started = time.perf_counter()
        render_contract_pdf(doc)
        samples.append(time.perf_counter() - started)
    _report("render_contract_pdf", samples)


def test_claim_filing_and_reads(world):
    company = world.company()
    contracts = [world.contract(company) for _ in range(20)]
    headers = world.tokens.company(company)
    samples = []
    for i in range(200):
        contract = contracts[i % len(contracts)]
        started = time.perf_counter()
        world.claim(contract, kind="damage_repairs", amount=100)
        samples.append(time.perf_counter() - started)
    _report("POST /contracts/{id}/claims", samples)
    samples = []
    for i in range(300):
        started = time.perf_counter()
        assert world.client.get(f"/api/v1/contracts/{contracts[i % 20]['id']}", headers=headers).status_code == 200
        samples.append(time.perf_counter() - started)
    _report("GET /contracts/{id}", samples)
    samples = []
    for _ in range(50):
        started = time.perf_counter()
        assert world.client.get("/api/v1/contracts?page_size=20", headers=headers).status_code == 200
        samples.append(time.perf_counter() - started)
    _report("GET /contracts?page_size=20", samples)
