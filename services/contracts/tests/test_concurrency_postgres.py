"""What only a real database with real concurrent transactions can show (PostgreSQL)."""

import threading
import time
import uuid

import pytest

from servicekit.db import UnitOfWork
from servicekit.testing.helpers import postgres_available

from contracts import domain
from contracts.usecases import claims, tenancies
from contracts.schemas import TenancyEvent
from contracts_testkit import tenancy_event

pytestmark = pytest.mark.skipif(not postgres_available(), reason="concurrency is only meaningful on PostgreSQL")


def run_concurrently(n, work):
    """Start `n` threads that each run `work(i)` at the same moment; collect results or exceptions."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def runner(i):
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - the test inspects what each thread got
            results[i] = exc

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_concurrent_creations_get_consecutive_numbers_and_a_rollback_leaves_no_gap(db, clock, world):
    company = str(uuid.uuid4())

    def create(i):
        with UnitOfWork(db, "contracts", clock=clock) as unit:
            row = tenancies.record_tenancy(unit, TenancyEvent().load(tenancy_event(company)))
            if i == 0:
                time.sleep(0.5)  # keep the counter row locked while the others queue up behind it
                unit.rollback()  # this creation fails: its number must go to someone else
                return None
            unit.commit()
            return row.contract_no

    numbers = run_concurrently(6, create)
    assert numbers[0] is None
    assert not any(isinstance(n, Exception) for n in numbers), numbers
    assert sorted(numbers[1:]) == [f"GV-2027-{k:05d}" for k in range(1, 6)]


def test_two_creations_at_the_same_moment_never_share_a_number(db, clock, world):
    company = str(uuid.uuid4())

    def create(_):
        with UnitOfWork(db, "contracts", clock=clock) as unit:
            row = tenancies.record_tenancy(unit, TenancyEvent().load(tenancy_event(company)))
            unit.commit()
            return row.contract_no

    for _ in range(5):
        numbers = run_concurrently(2, create)
        assert len(set(numbers)) == 2, numbers
    all_numbers = [f"GV-2027-{k:05d}" for k in range(1, 11)]
    from sqlalchemy import select

    from contracts.models import Contract

    with db.session() as s:
        assert sorted(s.scalars(select(Contract.contract_no))) == all_numbers


def test_two_claims_filed_at_the_same_moment_never_exceed_the_cap(db, clock, world):
    company = world.company()
    contract = world.contract(company)
    invoice = claims.Upload("invoice", "r.pdf", "application/pdf", b"%PDF-1.4")

    def file(_):
        with UnitOfWork(db, "contracts", clock=clock, actor="company-user") as unit:
            claim = claims.file_claim(unit, contract["id"], company, kind=domain.LossKind.DAMAGE_REPAIRS,
                                        amount_cents=600_000, period=None, description="Wasserschaden",
                                        uploads=[invoice])
            unit.commit()
            return claim.id

    for attempt in range(3):
        results = run_concurrently(2, file)
        if attempt == 0:
            ok = [r for r in results if isinstance(r, str)]
            refused = [r for r in results if isinstance(r, domain.RuleViolation)]
            assert len(ok) == 1 and len(refused) == 1, results
            assert refused[0].code == "claim.cap_exceeded"
        else:
            assert all(isinstance(r, domain.RuleViolation) for r in results), results
    body = world.client.get(f"/api/v1/contracts/{contract['id']}", headers=world.tokens.finance()).json
    assert {c["name"]: c["remaining_cents"] for c in body["coverage"]}["repairs_subsidy"] == 400_000


def test_two_decisions_at_the_same_moment_decide_once(db, clock, world):
    company = world.company()
    contract = world.contract(company)
    claim = world.claim(contract, kind="damage_repairs", amount=10_000)

    def decide(i):
        with UnitOfWork(db, "contracts", clock=clock, actor=f"finance-{i}") as unit:
            claims.decide_claim(unit, claim["id"], domain.Decision.APPROVE if i else domain.Decision.REJECT,
                                  approved_cents=None, reason="r")
            unit.commit()
            return "ok"

    results = run_concurrently(2, decide)
    assert sorted(type(r).__name__ for r in results) == ["StateConflict", "str"], results


def test_the_same_idempotency_key_sent_twice_at_once_files_one_claim(world, db):
    from sqlalchemy import func, select

    from contracts_testkit import document
    from contracts.models import Claim

    company = world.company()
    contract = world.contract(company)
    body = {"kind": "damage_repairs", "amount_cents": 5_000, "description": "Tür", "evidence": [document("invoice")]}
    headers = {**world.tokens.company(company), "Idempotency-Key": "same-moment-0001"}
    app = world.client.application

    def post(_):
        with app.test_client() as client:
            response = client.post(f"/api/v1/contracts/{contract['id']}/claims", json=body, headers=headers)
            return response.status_code, response.json["id"]

    results = run_concurrently(2, post)
    assert [r[0] for r in results] == [201, 201] and results[0][1] == results[1][1], results
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Claim)) == 1


def test_city_and_company_signing_at_the_same_moment_activate_once(world, db):
    from sqlalchemy import func, select

    from servicekit.db import outbox

    company = world.company()
    contract = world.contract(company, active=False)
    app = world.client.application
    headers = {"city": world.tokens.staff(), "company": world.tokens.company(company)}

    def sign(i):
        party = ("city", "company")[i]
        with app.test_client() as client:
            return client.post(f"/api/v1/contracts/{contract['id']}/sign", json={"party": party},
                               headers=headers[party]).json["state"]

    states = run_concurrently(2, sign)
    assert sorted(states) == ["active", "draft"], states
    with db.session() as s:
        activated = s.scalar(select(func.count()).select_from(outbox).where(outbox.c.type == "contracts.contract.activated"))
    assert activated == 1
