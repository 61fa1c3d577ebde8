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


def test_read_path_profile(world, service, settings, clock):
    """Where a GET /contracts/{id} spends its time in process, and its database round trips: the
    statements per request (SQLAlchemy's cursor events) and the top functions of a cProfile run,
    on an app configured as the web processes are (no pre-ping)."""
    import cProfile
    import io
    import pstats

    from sqlalchemy import event

    from servicekit.db import Database
    from servicekit.web.app import create_app

    company = world.company()
    contract = world.contract(company)
    headers = world.tokens.company(company)
    url = f"/api/v1/contracts/{contract['id']}"
    db = Database(settings.database_url, pre_ping=False)
    client = create_app(service, settings, db=db, clock=clock).test_client()
    for _ in range(50):  # warm: compiled statements cached, token verified once
        assert client.get(url, headers=headers).status_code == 200
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement.split(None, 1)[0].upper())

    checkouts: list[int] = []
    event.listen(db.engine, "before_cursor_execute", count)
    event.listen(db.engine.pool, "checkout", lambda *a: checkouts.append(1))
    try:
        assert client.get(url, headers=headers).status_code == 200
        print(f"\nstatements per GET one: {len(statements)} {statements}; pool checkouts: {len(checkouts)}")
        for _ in range(19):
            world.contract(company)
        statements.clear()
        assert len(client.get("/api/v1/contracts?page_size=20", headers=headers).get_json()) == 20
        print(f"statements per GET a page of 20: {len(statements)} {statements}")
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    n = 1000
    profile = cProfile.Profile()
    started = time.perf_counter()
    profile.enable()
    for _ in range(n):
        client.get(url, headers=headers)
    profile.disable()
    elapsed = time.perf_counter() - started
    print(f"GET one in process (profiled): {elapsed / n * 1000:.2f} ms")
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(60)
    print(out.getvalue())
    started = time.perf_counter()
    for _ in range(n):
        client.get(url, headers=headers)
    print(f"GET one in process (not profiled): {(time.perf_counter() - started) / n * 1000:.2f} ms")
    db.dispose()
