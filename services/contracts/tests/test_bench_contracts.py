"""Opt-in measurements, skipped in the suite. From services/contracts:

    CONTRACTS_BENCH=1 ../../.venv/bin/python -m pytest -p no:cacheprovider -q -s tests/test_bench_contracts.py

Prints PDF render time, and claim filing (POST with one evidence document), contract reads and
list pages per second through the Flask test client on the test PostgreSQL database (one thread:
the service's own cost, not gunicorn's).
"""

import os
import statistics
import time

import pytest

pytestmark = pytest.mark.skipif(not os.environ.get("CONTRACTS_BENCH"), reason="set CONTRACTS_BENCH=1")


def _report(name, samples):
    samples = sorted(samples)
    p50 = statistics.median(samples) * 1000
    p95 = samples[int(len(samples) * 0.95) - 1] * 1000
    print(f"\n{name}: n={len(samples)} p50={p50:.1f} ms p95={p95:.1f} ms ~{len(samples) / sum(samples):.0f}/s")


def test_pdf_render_time():
    from contracts.documents import render_contract_pdf, render_statement_pdf
    from document_samples import contract_document, statement_document

    for name, render, doc in (("render_contract_pdf", render_contract_pdf, contract_document()),
                              ("render_statement_pdf", render_statement_pdf, statement_document())):
        data = render(doc)  # the first render of a process loads the fonts
        assert data.startswith(b"%PDF-"), f"{name} rendered no PDF"
        samples = []
        for _ in range(30):
            started = time.perf_counter()
            render(doc)
            samples.append(time.perf_counter() - started)
        _report(name, samples)
        print(f"{name}: {len(data)} bytes")


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
