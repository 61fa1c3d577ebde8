"""SQL statements and time per lease in notifications: the events one signed lease brings
(tenancy agreed, contract created, case opened, N appointments scheduled), handled in consumer-sized
batches of 100 events, one transaction each, as the consumer does. Statements are counted, so the
figure does not depend on how busy the machine is; wall and CPU time are printed beside it.

    PYTHONPATH=libs/servicekit:services/notifications \
        .venv/bin/python services/notifications/benchmarks/statements_per_lease.py [LEASES] [VISITS] [--profile]

Creates its own database (dropped afterwards); no broker needed.
"""

from __future__ import annotations

import collections
import cProfile
import pstats
import sys
import time
import uuid
from pathlib import Path

from sqlalchemy import event as sa_event

from servicekit.bus import Event
from servicekit.clock import SystemClock
from servicekit.db import Database, UnitOfWork, migrations
from servicekit.testing.helpers import create_postgres_database, drop_postgres_database

sys.path[:0] = [str(Path(__file__).parent), str(Path(__file__).parent.parent / "tests")]
from bench_notifications import bench_settings  # noqa: E402
from notifications.handlers import on_event  # noqa: E402
from notifications.service import service  # noqa: E402
from sample_events import SAMPLE_DATA  # noqa: E402


def lease_events(visits: int) -> list[Event]:
    household, case = str(uuid.uuid4()), str(uuid.uuid4())
    events = [
        ("matching.tenancy.agreed", dict(SAMPLE_DATA["matching.tenancy.agreed"], household_id=household,
                                         proposal_id=str(uuid.uuid4()))),
        ("contracts.contract.created", dict(SAMPLE_DATA["contracts.contract.created"], household_id=household,
                                            contract_id=str(uuid.uuid4()))),
        ("support.case.opened", dict(SAMPLE_DATA["support.case.opened"], household_id=household, case_id=case)),
    ] + [("support.appointment.scheduled", dict(SAMPLE_DATA["support.appointment.scheduled"], household_id=household,
                                                case_id=case, appointment_id=str(uuid.uuid4())))
         for _ in range(visits)]
    return [Event(type=t, data=d, source="bench", correlation_id="bench") for t, d in events]


def main(leases: int, visits: int, profile: bool) -> None:
    name = f"wp_bench_notifications_{uuid.uuid4().hex[:8]}"
    url = create_postgres_database(name)
    try:
        bench_settings(url)
        migrations.upgrade(service.migrations_dir, url)
        db, clock = Database(url), SystemClock()
        with UnitOfWork(db, "notifications", clock=clock) as uow:
            on_event(uow, Event(type="contracts.company.registered", data=SAMPLE_DATA["contracts.company.registered"],
                                source="bench", correlation_id="bench"))
            uow.commit()
        statements: collections.Counter[str] = collections.Counter()
        sa_event.listen(db.engine, "before_cursor_execute",
                        lambda _c, _cur, sql, *_: statements.update([sql.split("\n")[0][:80]]))
        events = [e for _ in range(leases) for e in lease_events(visits)]
        profiler = cProfile.Profile(time.process_time) if profile else None
        started, cpu = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        for first in range(0, len(events), 100):
            with UnitOfWork(db, "notifications", clock=clock) as uow:
                for event in events[first:first + 100]:
                    on_event(uow, event)
                uow.commit()
        if profiler:
            profiler.disable()
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        total = sum(statements.values())
        print(f"{leases} leases x {3 + visits} events: {total / leases:.1f} statements per lease, "
              f"wall {wall / leases * 1000:.1f} ms, CPU {cpu / leases * 1000:.1f} ms per lease")
        for sql, count in statements.most_common(8):
            print(f"  {count / leases:5.1f}  {sql}")
        if profiler:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
        db.dispose()
    finally:
        drop_postgres_database(name)


if __name__ == "__main__":
    numbers = [int(a) for a in sys.argv[1:] if a.isdigit()]
    main(*(numbers + [30, 8][len(numbers):]), profile="--profile" in sys.argv)
