"""Opt-in measurement, skipped in the suite. From services/notifications:

    NOTIFICATIONS_BENCH=1 ../../.venv/bin/python -m pytest -p no:cacheprovider -q -s tests/test_bench_notifications.py

What one signed lease costs the notifications worker: the events its fan-out brings
(`matching.tenancy.agreed` in versions 1 and 2, `contracts.contract.created`, `support.case.opened`
and the first eight weeks' visits as `support.appointment.scheduled`), handed to the service's
consumer as its worker hands them (`Consumer.process_batch`: inbox, handlers, one commit per batch),
in batches of one (a quiet worker) and of 100 (a busy one). Per lease it prints the SQL statements
(SQLAlchemy's cursor events; exact) and the CPU time of this process (`time.process_time`, the median
of `NOTIFICATIONS_BENCH_ROUNDS` rounds, default 5: it does not count other processes, but a busy
machine still slows it a little), beside the notification rows written; `-k profile` prints a cProfile
run's top functions instead. On the test database (PostgreSQL when it answers);
`NOTIFICATIONS_BENCH_LEASES` sets the leases per round (default 20). Compare two versions of the code
by running them alternately, in the same period of load.
"""

from __future__ import annotations

import collections
import cProfile
import io
import os
import pstats
import statistics
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import jinja2
import pytest
from sqlalchemy import event as sa_event, func, select

pytestmark = pytest.mark.skipif(not os.environ.get("NOTIFICATIONS_BENCH"), reason="set NOTIFICATIONS_BENCH=1")

from sample_events import COMPANY_ID, SAMPLE_DATA  # noqa: E402

SOCIAL_WORKER_ID = "6f7a8b9c-0d1e-4f2a-8b3c-4d5e6f7a8b9c"  # the social worker of support.case.opened's sample
VISITS = 8  # the support plan's weekly home visits in the eight-week booking horizon
FIRST_VISIT = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def _event(event_type: str, data: dict, **envelope):
    from servicekit.bus.envelope import Event

    return Event(type=event_type, data=data, source=event_type.split(".")[0], correlation_id=str(uuid.uuid4()),
                 **envelope)


def lease_events(n: int) -> list:
    """The events of the n-th lease, as its producers publish them (sample_events' shapes, fresh ids)."""
    household, case, contract = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    name, email = f"Haushalt {n}", f"haushalt{n}@example.org"
    reference, case_reference, contract_no = f"AS-2026-{n:05d}", f"SUP-2026-{n:08X}", f"GV-2026-{n:05d}"
    agreed = dict(SAMPLE_DATA["matching.tenancy.agreed"], proposal_id=str(uuid.uuid4()), household_id=household,
                  household=dict(SAMPLE_DATA["matching.tenancy.agreed"]["household"], name=name, email=email))
    v1 = dict(agreed, household_reference=reference)
    v2 = {**{k: v for k, v in agreed.items() if k != "household_reference"}, "referral_no": reference}
    events = [
        _event("matching.tenancy.agreed", v1, version=1, published_versions=(1, 2)),
        _event("matching.tenancy.agreed", v2, version=2, published_versions=(1, 2)),
        _event("contracts.contract.created", dict(
            SAMPLE_DATA["contracts.contract.created"], contract_id=contract, contract_no=contract_no,
            household_id=household, household_reference=reference)),
        _event("support.case.opened", dict(
            SAMPLE_DATA["support.case.opened"], case_id=case, case_reference=case_reference, household_id=household,
            contract_id=contract, contract_no=contract_no,
            household=dict(SAMPLE_DATA["support.case.opened"]["household"], name=name, email=email))),
    ]
    for week in range(VISITS):
        starts = FIRST_VISIT + timedelta(weeks=week)
        events.append(_event("support.appointment.scheduled", dict(
            SAMPLE_DATA["support.appointment.scheduled"], appointment_id=str(uuid.uuid4()), case_id=case,
            case_reference=case_reference, household_id=household, caseworker_id=SOCIAL_WORKER_ID,
            starts_at=starts.isoformat().replace("+00:00", "Z"),
            ends_at=(starts + timedelta(hours=1)).isoformat().replace("+00:00", "Z"))))
    return events


@pytest.fixture
def consumer(service, settings, db, clock):
    """The worker's consumer, with the directory as it stands once the company (with a webhook
    endpoint) and both caseworkers are announced."""
    from servicekit.bus.consumer import Consumer

    from notifications.models import WebhookEndpoint

    consumer = Consumer(db, settings, service.handlers, clock=clock)
    announced = [_event("contracts.company.registered", SAMPLE_DATA["contracts.company.registered"]),
                 _event("support.caseworker.registered", SAMPLE_DATA["support.caseworker.registered"]),
                 _event("support.caseworker.registered", dict(
                     SAMPLE_DATA["support.caseworker.registered"], caseworker_id=SOCIAL_WORKER_ID,
                     name="Ömer Yıldız", email="oemer.yildiz@stuttgart.example"))]
    assert {o for o, _ in consumer.process_batch([e.to_json().encode() for e in announced])} == {"handled"}
    with db.session() as session:
        now = clock.now()
        session.add(WebhookEndpoint(company_id=COMPANY_ID, url="https://hooks.sued-wohnbau.example/wohnenplus",
                                    secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", created_at=now, updated_at=now))
        session.commit()
    return consumer


def _run(consumer, leases: list[list], batch: int) -> None:
    bodies = [e.to_json().encode() for lease in leases for e in lease]
    for first in range(0, len(bodies), batch):
        outcomes = consumer.process_batch(bodies[first:first + batch])
        assert {o for o, _ in outcomes} == {"handled"}, outcomes


def _rows(db) -> int:
    from notifications.models import Notification

    with db.session() as session:
        return session.scalar(select(func.count()).select_from(Notification))


def test_cpu_and_statements_per_lease(consumer, db):
    n = int(os.environ.get("NOTIFICATIONS_BENCH_LEASES", "20"))
    rounds = int(os.environ.get("NOTIFICATIONS_BENCH_ROUNDS", "5"))
    statements: collections.Counter[str] = collections.Counter()

    def count(_conn, _cursor, sql, *_):
        statements[" ".join(sql.split())[:100]] += 1

    _run(consumer, [lease_events(i) for i in range(5)], batch=100)  # warm: statements compiled, templates loaded
    print(f"\n{db.engine.dialect.name}, {len(lease_events(0))} events per lease, {n} leases x {rounds} rounds")
    for batch in (1, 100):
        cpu_ms = []
        for round_ in range(rounds):
            leases = [lease_events(i) for i in range(n)]
            rows = _rows(db)
            if round_ == 0:
                sa_event.listen(db.engine, "before_cursor_execute", count)
            try:
                cpu = time.process_time()
                _run(consumer, leases, batch)
                cpu_ms.append((time.process_time() - cpu) / n * 1000)
            finally:
                if round_ == 0:
                    sa_event.remove(db.engine, "before_cursor_execute", count)
            rows = (_rows(db) - rows) / n
        # the median of the rounds: the machine is shared, and a round a busy neighbour slowed is not the code
        print(f"batch {batch:3d}: {sum(statements.values()) / n:5.1f} statements, "
              f"CPU {statistics.median(cpu_ms):5.1f} ms per lease (min {min(cpu_ms):.1f}; "
              f"{rows:.0f} notification rows)")
        for sql, times in statements.most_common(12):
            print(f"    {times / n:5.1f}  {sql}")
        statements.clear()


def test_profile_per_lease(consumer):
    """Where the CPU goes: the top functions of a cProfile run (batches of 100), by own time and,
    for the service's and the kit's functions, by time including callees."""
    n = int(os.environ.get("NOTIFICATIONS_BENCH_LEASES", "20"))
    _run(consumer, [lease_events(i) for i in range(5)], batch=100)
    profile = cProfile.Profile(time.process_time)
    leases = [lease_events(i) for i in range(n)]
    profile.enable()
    _run(consumer, leases, 100)
    profile.disable()
    for order, where in (("tottime", ""), ("cumulative", "notifications/notifications/|servicekit/servicekit/")):
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out)
        stats.sort_stats(order).print_stats(where, 30)
        text = out.getvalue().replace(os.path.dirname(jinja2.__file__).rsplit("/", 1)[0] + "/", "")
        print(f"--- profile, batch 100, {n} leases, by {order}" + (f" ({where})" if where else ""),
              text[text.index("   ncalls"):].replace(str(Path.cwd().parent.parent) + "/", ""), sep="\n")
