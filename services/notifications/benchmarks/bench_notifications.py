"""Measure event handling, email delivery and the read API (staff list, detail, inbox: texts are
decrypted on read) of the notifications service on PostgreSQL.

    PYTHONPATH=libs/servicekit:services/notifications:services/notifications/tests \
        .venv/bin/python services/notifications/benchmarks/bench_notifications.py [N]

Creates its own database (dropped afterwards) and a local aiosmtpd server; no broker needed
(the consumer's handler is called in a unit of work, as the consumer does).
"""

from __future__ import annotations

import dataclasses
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from servicekit.auth import ensure_dev_keys
from servicekit.bus import Event
from servicekit.clock import SystemClock
from servicekit.db import Database, UnitOfWork, migrations
from servicekit.privacy import crypto
from servicekit.settings import Settings
from servicekit.testing.helpers import Tokens, create_postgres_database, drop_postgres_database
from servicekit.web.app import create_app

from mailserver import MailServer
from notifications.handlers import on_event
from notifications.service import service
from notifications.usecases import deliveries
from sample_events import COMPANY_ID, SAMPLE_DATA


def main(n: int) -> None:
    name = f"wp_bench_notifications_{uuid.uuid4().hex[:8]}"
    url = create_postgres_database(name)
    server = MailServer().start()
    os.environ["NOTIFICATIONS_SMTP_HOST"], os.environ["NOTIFICATIONS_SMTP_PORT"] = "127.0.0.1", str(server.port)
    try:
        settings = bench_settings(url)
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
            done = deliveries.deliver_due(lambda: UnitOfWork(db, "notifications", clock=clock), clock.now(), batch=500)
            sent += done
            if not done:
                break
        elapsed = time.perf_counter() - started
        print(f"emails delivered over SMTP: {sent} in {elapsed:.2f}s = {sent / elapsed:.0f} mails/s "
              f"(received: {len(server.messages)})")
        read_api(db, settings)
        db.dispose()
    finally:
        server.stop()
        drop_postgres_database(name)


def bench_settings(url: str) -> Settings:
    """Own signing and data keys, so the benchmark neither needs nor touches the checkout's."""
    os.environ["NOTIFICATIONS_RATELIMIT_ENABLED"] = "false"  # the read benchmark is one busy company
    var_dir = Path(tempfile.mkdtemp())
    ensure_dev_keys(var_dir)
    settings = dataclasses.replace(
        Settings.from_env(service.name, service.web_port, service.worker_metrics_port), database_url=url,
        var_dir=var_dir, jwt_public_key_file=None, jwt_jwks_url=None,
        jwt_private_key_file=var_dir / "jwt" / "dev-private.pem")
    crypto.configure(settings)
    return settings


def read_api(db: Database, settings: Settings, rounds: int = 50) -> None:
    """Median time of one request through the Flask app (auth, query, decryption, access log)."""
    client = create_app(service, settings, db=db).test_client()
    tokens = Tokens(settings)
    staff, admin, company = tokens.staff(), tokens.admin(), tokens.company(COMPANY_ID)
    answer = client.get("/api/v1/notifications?page_size=20", headers=staff)
    assert answer.status_code == 200, answer.json
    first = answer.json[0]["id"]
    for label, path, headers in (
        ("staff list, page of 20 (subjects decrypted, reads logged)", "/api/v1/notifications?page_size=20", staff),
        ("operators list, page of 20 (no contents)", "/api/v1/notifications?page_size=20", admin),
        ("staff detail (text decrypted, read logged)", f"/api/v1/notifications/{first}", staff),
        ("company inbox, page of 20 (texts decrypted, reads logged)", "/api/v1/inbox?page_size=20", company),
    ):
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            answer = client.get(path, headers=headers)
            assert answer.status_code == 200, (answer.status_code, answer.json)
            times.append((time.perf_counter() - started) * 1000)
        print(f"{label}: median {statistics.median(times):.1f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
