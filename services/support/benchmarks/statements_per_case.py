"""Count SQL statements and time per opened case on PostgreSQL: the event's handler (assign the
team, book the first visit) and, apart, the book-new-cases job that books the rest of the 8 weeks.
Run from the repository root: `.venv/bin/python services/support/benchmarks/statements_per_case.py`."""
import time
import uuid

from datetime import datetime, timezone
from sqlalchemy import event
from servicekit.clock import FrozenClock
from servicekit.db import Database, UnitOfWork, migrations
from servicekit.testing.helpers import create_postgres_database, drop_postgres_database
from servicekit.bus import Event
from support import handlers
from support.usecases import planning
from support.models import Caseworker
from support.service import service
name = f"wp_bench_support_{uuid.uuid4().hex[:8]}"
url = create_postgres_database(name)
try:
    migrations.upgrade(service.migrations_dir, url)
    db = Database(url)
    n = [0]
    event.listen(db.engine, "before_cursor_execute", lambda *a: n.__setitem__(0, n[0] + 1))
    clock = FrozenClock(datetime(2026, 6, 8, 7, tzinfo=timezone.utc))
    with UnitOfWork(db, "support", clock=clock) as uow:
        for i in range(20):
            uow.session.add(Caseworker(name=f"CW {i}", email=f"cw{i}@example.org", registered_at=clock.now(), max_cases=100, weekly_minutes=2100, absences=[]))
        uow.commit()
    n[0] = 0
    t = time.perf_counter()
    for i in range(50):
        data = {"proposal_id": str(uuid.uuid4()), "household_id": str(uuid.uuid4()), "company_id": "c", "lease_start": "2026-06-15"}
        with UnitOfWork(db, "support", clock=clock) as uow:
            handlers.tenancy_agreed(uow, Event(type="matching.tenancy.agreed", data=data, source="b", correlation_id="b"))
            uow.commit()
    print("event handler: statements per opened case:", n[0] / 50, "ms per case:", (time.perf_counter() - t) / 50 * 1000)
    n[0] = 0
    t = time.perf_counter()
    with UnitOfWork(db, "support", clock=clock) as uow:  # as the consumer does: a batch in one transaction
        for i in range(50):
            data = {"proposal_id": str(uuid.uuid4()), "household_id": str(uuid.uuid4()), "company_id": "c", "lease_start": "2026-06-15"}
            handlers.tenancy_agreed(uow, Event(type="matching.tenancy.agreed", data=data, source="b", correlation_id="b"))
        uow.commit()
    print("event handler, 50 in one transaction: statements per opened case:", n[0] / 50, "ms per case:", (time.perf_counter() - t) / 50 * 1000)
    n[0] = 0
    t = time.perf_counter()
    visits = planning.book_new_cases(lambda: UnitOfWork(db, "support", clock=clock))
    print("book-new-cases job, off the event's path: statements per case:", n[0] / 100,
          "ms per case:", (time.perf_counter() - t) / 100 * 1000, "visits booked:", visits)
    db.dispose()
finally:
    drop_postgres_database(name)
