"""Measure the support planner: the pure scheduler, and opening cases + the rolling-horizon job on
PostgreSQL. Run: `.venv/bin/python services/support/benchmarks/plan_job.py [cases] [caseworkers]`.

Creates and drops its own database `wp_bench_support_<random>`; touches no broker (events stay
in the outbox).
"""

from __future__ import annotations

import sys
import time
import uuid
from datetime import date, datetime, timedelta, timezone

from servicekit.clock import FrozenClock
from servicekit.db import Database, UnitOfWork, migrations
from servicekit.testing.helpers import create_postgres_database, drop_postgres_database

from support import handlers
from support.usecases import planning
from support.config import load_office_hours, load_plan
from support.domain.model import Caseworker as DomainCaseworker, Role
from support.domain.scheduler import BusyCalendar, place_visits
from support.models import Caseworker
from support.service import service
from servicekit.bus import Event


def pure(n_cases: int = 40) -> None:
    plan, office = load_plan(), load_office_hours()
    cw = DomainCaseworker("cw", frozenset(Role), 100, 35 * 60)
    busy = BusyCalendar()
    now = datetime(2026, 6, 8, 7, tzinfo=timezone.utc)
    started = time.perf_counter()
    placed = 0
    for _ in range(n_cases):
        visits = plan.due_visits(date(2026, 6, 15), date(2026, 6, 8), date(2026, 8, 3))
        placed += sum(p.slot is not None for p in place_visits(cw, busy, visits, office, now=now))
    elapsed = time.perf_counter() - started
    print(f"pure scheduler: {n_cases} cases x 7 visits into one calendar: {placed} placed in {elapsed*1000:.0f} ms")


def on_postgres(n_cases: int, n_workers: int) -> None:
    name = f"wp_bench_support_{uuid.uuid4().hex[:8]}"
    url = create_postgres_database(name)
    try:
        migrations.upgrade(service.migrations_dir, url)
        db = Database(url)
        clock = FrozenClock(datetime(2026, 6, 8, 7, tzinfo=timezone.utc))
        with UnitOfWork(db, "support", clock=clock) as uow:
            for i in range(n_workers):
                uow.session.add(Caseworker(name=f"CW {i}", email=f"cw{i}@example.org", registered_at=clock.now(),
                                           max_cases=n_cases, weekly_minutes=35 * 60, absences=[]))
            uow.commit()
        started = time.perf_counter()
        for i in range(n_cases):
            data = {"proposal_id": str(uuid.uuid4()), "household_id": str(uuid.uuid4()), "company_id": "c",
                    "lease_start": (date(2026, 6, 1) + timedelta(days=i % 28)).isoformat()}
            event = Event(type="matching.tenancy.agreed", data=data, source="bench", correlation_id="b")
            with UnitOfWork(db, "support", clock=clock) as uow:
                handlers.tenancy_agreed(uow, event)
                uow.commit()
        opened = time.perf_counter() - started
        print(f"open {n_cases} cases (assign + book 8 weeks) with {n_workers} caseworkers: "
              f"{opened:.1f} s, {opened / n_cases * 1000:.0f} ms per case")
        clock.advance(days=7)
        started = time.perf_counter()
        counts = planning.plan_open_cases(lambda: UnitOfWork(db, "support", clock=clock))
        print(f"rolling-horizon job one week later over {n_cases} open cases: {time.perf_counter() - started:.1f} s {counts}")
        db.dispose()
    finally:
        drop_postgres_database(name)


if __name__ == "__main__":
    cases = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    pure()
    on_postgres(cases, workers)
