"""Opt-in measurements, skipped in the suite. From services/support:

    SUPPORT_BENCH=1 ../../.venv/bin/python -m pytest -p no:cacheprovider -q -s tests/test_bench_support.py | grep -v '^{'

What a signed lease costs support, through the consumer path the worker takes (inbox, handler and
commit in one transaction, `Consumer.process_batch`) on the test database: per lease the SQL
statements (SQLAlchemy's cursor events) and the CPU of this process (time.process_time, which a
busy machine does not inflate the way it does wall time) of

- `matching.tenancy.agreed` one at a time (case, team under row locks, first visit);
- the same in batches of `SUPPORT_BENCH_BATCH` events in one transaction, as a busy queue is taken;
- the `book-new-cases` job that books the rest of each new case's horizon;
- `contracts.contract.created`, which links the contract;

then the top functions of a cProfile run over one more round. `SUPPORT_BENCH_N` leases per round
(default 40) and `SUPPORT_BENCH_ROUNDS` rounds (default 3; the CPU reported is the least
disturbed round's), after a warm-up that fills the compiled-statement caches.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from servicekit.bus.consumer import Consumer
from servicekit.bus.envelope import Event

from support import jobs
from support.models import SupportCase
from support_testing import MONDAY, register, tenancy

pytestmark = pytest.mark.skipif(not os.environ.get("SUPPORT_BENCH"), reason="set SUPPORT_BENCH=1")

N = int(os.environ.get("SUPPORT_BENCH_N", "40"))
ROUNDS = int(os.environ.get("SUPPORT_BENCH_ROUNDS", "3"))
BATCH = int(os.environ.get("SUPPORT_BENCH_BATCH", "20"))
DISTRICTS = ["Mitte", "Nord", "Ost", "Süd", "West", "Bad Cannstatt"]


class Meter:
    """Statements and CPU of what runs inside `with meter.phase(name, leases)`."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.statements = 0
        self.rows: list[tuple[str, float, float]] = []
        self.log: list[str] | None = None  # the statements themselves while a list is set
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, conn, cursor, statement, *args) -> None:
        self.statements += 1
        if self.log is not None:
            self.log.append(" ".join(statement.split())[:110])

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._count)

    def phase(self, name: str, leases: int):
        meter = self

        class _Phase:
            def __enter__(self):
                self.statements, self.cpu = meter.statements, time.process_time()

            def __exit__(self, *exc):
                cpu = time.process_time() - self.cpu
                meter.rows.append((name, (meter.statements - self.statements) / leases, cpu / leases * 1000))

        return _Phase()

    def report(self) -> dict[str, float]:
        """Per phase: statements, and the CPU of the round that was least disturbed (a busy
        machine only ever adds), beside the mean over the rounds."""
        names = list(dict.fromkeys(name for name, _, _ in self.rows))
        print(f"\nsupport per lease (N={N}, batch={BATCH}, rounds={ROUNDS}; CPU: min / mean over rounds):")
        best = {}
        for name in names:
            rows = [(st, cpu) for n, st, cpu in self.rows if n == name]
            best[name] = min(cpu for _, cpu in rows)
            print(f"  {name:<34} {sum(st for st, _ in rows) / len(rows):6.1f} statements "
                  f"{best[name]:7.2f} / {sum(cpu for _, cpu in rows) / len(rows):7.2f} ms CPU")
        return best


def _staff(client, tokens) -> None:
    """A social office as the tests register it: contact persons and social workers, some for one
    district, one person in both roles, one absent in the coming weeks, one away at opening. Room
    for every round's cases, so that the last round is booked as the first was."""
    for i in range(4):
        register(client, tokens, name=f"Kontakt {i}", roles=["contact_person"], max_cases=300,
                 districts=[DISTRICTS[i]] if i else [])
    register(client, tokens, name="Beides", roles=["contact_person", "social_worker"])
    away = register(client, tokens, name="Kontakt weg", roles=["contact_person"])
    client.post(f"/api/v1/caseworkers/{away['id']}/absences", headers=tokens.staff(),
                json={"first_day": "2026-06-08", "last_day": "2026-06-19", "kind": "holiday"})
    for i in range(16):
        person = register(client, tokens, name=f"Sozial {i}", roles=["social_worker"], max_cases=100,
                          weekly_minutes=40 * 60, districts=[DISTRICTS[i % len(DISTRICTS)]] if i % 3 else [])
        if i == 2:  # a week off inside the horizon: visits are placed around it
            client.post(f"/api/v1/caseworkers/{person['id']}/absences", headers=tokens.staff(),
                        json={"first_day": "2026-07-06", "last_day": "2026-07-10", "kind": "holiday"})


def _leases(n: int) -> list[dict]:
    return [tenancy(lease_start=(MONDAY.date() + timedelta(days=7 + (i * 3) % 35)).isoformat(),
                    address={"street": "Königstraße 1", "postal_code": "70173", "city": "Stuttgart",
                             "district": DISTRICTS[i % len(DISTRICTS)]})
            for i in range(n)]


def _contract_created(lease: dict) -> dict:
    return {"contract_id": str(uuid.uuid4()), "contract_no": f"GV-2026-{uuid.uuid4().hex[:6]}",
            "proposal_id": lease["proposal_id"], "company_id": lease["company_id"],
            "household_id": lease["household_id"], "term_start": lease["lease_start"], "term_end": "2031-06-14"}


def _body(clock, event_type: str, data: dict) -> bytes:
    return Event(type=event_type, data=data, source="bench", correlation_id=str(uuid.uuid4()),
                 occurred_at=clock.now()).to_json().encode()


def _round(consumer, clock, job_context, leases, meter: Meter | None, batch: int | None) -> None:
    """One round through the consumer: the leases (one per transaction, or in batches), the
    book-new-cases job, the contracts."""
    def handled(bodies):
        outcomes = consumer.process_batch(bodies)
        assert {o for o, _ in outcomes} == {"handled"}, outcomes

    def phase(name):
        return meter.phase(name, len(leases)) if meter else _Null()

    bodies = [_body(clock, "matching.tenancy.agreed", lease) for lease in leases]
    with phase(f"tenancy.agreed ({'batch ' + str(batch) if batch else 'one by one'})"):
        if batch:
            for i in range(0, len(bodies), batch):
                handled(bodies[i:i + batch])
        else:
            for body in bodies:
                handled([body])
    with phase("book-new-cases job"):
        booked = 0
        while True:
            more = jobs.book_new_cases(job_context)
            booked += more
            if not more:
                break
    assert booked >= 3 * len(leases), booked  # every case has its team and its visits
    bodies = [_body(clock, "contracts.contract.created", _contract_created(lease)) for lease in leases]
    with phase("contract.created (one by one)"):
        for body in bodies:
            handled([body])


class _Null:
    def __enter__(self):
        pass

    def __exit__(self, *exc):
        pass


def test_lease_cost_statements_cpu_and_profile(client, tokens, db, settings, service, clock, job_context):
    clock.freeze(MONDAY)
    _staff(client, tokens)
    consumer = Consumer(db, settings, service.handlers, clock=clock)
    _round(consumer, clock, job_context, _leases(5), None, None)  # warm: compiled statements cached
    meter = Meter(db.engine)
    try:
        for _ in range(ROUNDS):
            _round(consumer, clock, job_context, _leases(N), meter, None)
            _round(consumer, clock, job_context, _leases(N), meter, BATCH)
    finally:
        meter.close()
    with db.session() as session:  # every round measured cases that found their team
        assert session.scalar(select(func.count()).where(SupportCase.contact_person_id.is_(None))) == 0
    best = meter.report()
    one_by_one = sum(cpu for name, cpu in best.items() if "one by one" in name)
    print(f"  one by one, lease + contract + job: {one_by_one + best['book-new-cases job']:.2f} ms CPU per lease")
    [lease] = _leases(1)

    meter = Meter(db.engine)  # what one lease says to the database, statement by statement
    try:
        for name, step in (("tenancy.agreed", lambda lease: consumer.process_batch(
                                [_body(clock, "matching.tenancy.agreed", lease)])),
                           ("book-new-cases job", lambda lease: jobs.book_new_cases(job_context)),
                           ("contract.created", lambda lease: consumer.process_batch(
                                [_body(clock, "contracts.contract.created", _contract_created(lease))]))):
            meter.log = []
            step(lease)
            print(f"\n{name}, one lease: {len(meter.log)} statements")
            for line in meter.log:
                print(f"  {line}")
    finally:
        meter.close()

    # CPU time, not wall time: waiting for PostgreSQL is not support's CPU
    profile = cProfile.Profile(time.process_time)
    leases = _leases(N)
    profile.enable()
    _round(consumer, clock, job_context, leases, None, None)
    profile.disable()
    if os.environ.get("SUPPORT_BENCH_PROFILE"):  # for pstats, snakeviz …
        profile.dump_stats(os.environ["SUPPORT_BENCH_PROFILE"])
    for order, count in (("tottime", 25), ("cumulative", 45)):
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats(order).print_stats(count)
        print(f"\ncProfile, one round of {N} leases, by {order}:\n" + out.getvalue().split("\n\n", 1)[-1])
