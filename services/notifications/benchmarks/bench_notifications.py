"""Measure event handling and email delivery of the notifications service on PostgreSQL.

    PYTHONPATH=libs/servicekit:services/notifications:services/notifications/tests \
        .venv/bin/python services/notifications/benchmarks/bench_notifications.py [N]

Creates its own database (dropped afterwards) and a local aiosmtpd server; no broker needed
(the consumer's handler is called in a unit of work, as the consumer does).
"""

from __future__ import annotations

import os
import sys
import time
import uuid

from servicekit.bus import Event
from servicekit.clock import SystemClock
from servicekit.db import Database, UnitOfWork, migrations
from servicekit.testing.helpers import create_postgres_database, drop_postgres_database

from mailserver import MailServer
from notifications import services
from notifications.handlers import on_event
from notifications.service import service
from sample_events import SAMPLE_DATA


def main(n: int) -> None:
    name = f"wp_bench_notifications_{uuid.uuid4().hex[:8]}"
    url = create_postgres_database(name)
    server = MailServer().start()
    os.environ["NOTIFICATIONS_SMTP_HOST"], os.environ["NOTIFICATIONS_SMTP_PORT"] = "127.0.0.1", str(server.port)
    try:
        migrations.upgrade(service.migrations_dir, url)
        db, clock = Database(url), SystemClock()
        with UnitOfWork(db, "notifications", clock=clock) as uow:
            on_event(uow, Event(type="contracts.company.registered", data=SAMPLE_DATA["contracts.company.registered"],
                                source="bench", correlation_id="bench"))
            uow.commit()
        started = time.perf_counter()
        for _ in range(n):
            data = dict(SAMPLE_DATA["matching.proposal.created"], proposal_id=str(uuid.uuid4()))
            with UnitOfWork(db, "notifications", clock=clock) as uow:
                on_event(uow, Event(type="matching.proposal.created", data=data, source="bench", correlation_id="b"))
                uow.commit()
        handled = time.perf_counter() - started
        print(f"events handled: {n} in {handled:.2f}s = {n / handled:.0f} events/s "
              f"({4 * n} notifications: company and staff, inbox and email)")
        started = time.perf_counter()
        sent = 0
        while True:
            done = services.deliver_due(lambda: UnitOfWork(db, "notifications", clock=clock), clock.now(), batch=500)
            sent += done
            if not done:
                break
        elapsed = time.perf_counter() - started
        print(f"emails delivered over SMTP: {sent} in {elapsed:.2f}s = {sent / elapsed:.0f} mails/s "
              f"(received: {len(server.messages)})")
        db.dispose()
    finally:
        server.stop()
        drop_postgres_database(name)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
