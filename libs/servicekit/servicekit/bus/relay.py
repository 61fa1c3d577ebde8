"""The outbox relay: publishes committed outbox rows with publisher confirms, then marks them sent.

A batch is published with all its confirms outstanding at once (see `confirms.py`) and a row is
marked only after the broker confirmed it; a crash in between re-publishes the same
message (same message_id) later, which the consumers' inboxes absorb. On PostgreSQL the batch is
claimed with FOR UPDATE SKIP LOCKED, so several relays never publish the same row at the same time.
SQLite has no row locks: run one relay per SQLite database.

Fault injection (chaos tests only, off unless set): `WOHNENPLUS_FAULT_RELAY_CRASH_AFTER_PUBLISH`,
read once when the relay is built, makes the process exit hard right after the broker confirmed a
batch and before its rows are marked sent — the crash this design must survive. A value below 1 is
the probability per confirmed batch (`0.2`); a whole number n crashes at the n-th confirmed batch.
"""

from __future__ import annotations

import os
import random
import threading
import time
from datetime import datetime, timezone

import pika
import structlog
from sqlalchemy import func, select, update

from servicekit import metrics
from servicekit.bus import topology
from servicekit.bus.confirms import ConfirmTimeout, StreamingConfirmChannel
from servicekit.bus.connection import RECOVERABLE, close_quietly, connect
from servicekit.bus.envelope import Event
from servicekit.db.database import Database
from servicekit.db.tables import outbox
from servicekit.settings import Settings

log = structlog.get_logger("servicekit.relay")

FAULT_SWITCH = "WOHNENPLUS_FAULT_RELAY_CRASH_AFTER_PUBLISH"
FAULT_EXIT_CODE = 70


class CrashAfterPublish:
    """Decides, per confirmed batch, whether the relay dies now (see the module docstring)."""

    def __init__(self, value: str | None) -> None:
        self.probability = 0.0
        self.at_batch = 0
        self.batches = 0
        text = (value or "").strip()
        if not text:
            return
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"{FAULT_SWITCH} must be a probability below 1 or a batch count, not {text!r}") from None
        if number < 0 or (number >= 1 and not number.is_integer()):
            raise ValueError(f"{FAULT_SWITCH} must be a probability below 1 or a batch count, not {text!r}")
        if number < 1:
            self.probability = number
        else:
            self.at_batch = int(number)

    @property
    def armed(self) -> bool:
        return self.probability > 0 or self.at_batch > 0

    def now(self) -> bool:
        self.batches += 1
        if self.at_batch:
            return self.batches == self.at_batch
        return random.random() < self.probability

    def crash(self, count: int) -> None:
        log.warning("relay.fault_injected", confirmed=count)
        # os._exit: no finally blocks, no rollback sent, no connection closed — as under SIGKILL.
        os._exit(FAULT_EXIT_CODE)


class OutboxRelay:
    def __init__(self, db: Database, settings: Settings, *, batch_size: int = 200) -> None:
        self.db = db
        self.settings = settings
        self.batch_size = batch_size
        self._connection: pika.BlockingConnection | None = None
        self._channel = None
        self._fault = CrashAfterPublish(os.environ.get(FAULT_SWITCH))

    def _ensure_channel(self):
        if self._channel is None or not self._channel.is_open:
            close_quietly(self._connection)
            self._connection = connect(self.settings.bus_url, f"{self.settings.service}-relay")
            channel = StreamingConfirmChannel(self._connection)
            topology.declare_exchanges(channel.blocking, self.settings)
            self._channel = channel
        return self._channel

    def close(self) -> None:
        close_quietly(self._connection)
        self._connection = None
        self._channel = None

    def publish_batch(self) -> int:
        """Publish up to `batch_size` pending rows; returns how many the broker confirmed."""
        channel = self._ensure_channel()
        with self.db.session() as session, session.begin():
            rows = session.execute(
                select(outbox.c.id, outbox.c.type, outbox.c.body)
                .where(outbox.c.published_at.is_(None))
                .order_by(outbox.c.created_at, outbox.c.id)
                .limit(self.batch_size)
                .with_for_update(skip_locked=True)
            ).all()
            if not rows:
                return 0
            messages = [(row.type, row.body.encode("utf-8"), Event.from_json(row.body).properties()) for row in rows]
            confirmed, refused = channel.publish_all(self.settings.exchange, messages)
            for row in rows:
                if row.id in refused:
                    metrics.PUBLISH_FAILURES.labels(self.settings.service, "refused").inc()
                else:
                    metrics.EVENTS_PUBLISHED.labels(self.settings.service, row.type).inc()
            if confirmed and self._fault.armed and self._fault.now():
                self._fault.crash(len(confirmed))
            now = datetime.now(timezone.utc)
            if confirmed:
                session.execute(
                    update(outbox)
                    .where(outbox.c.id.in_(confirmed))
                    .values(published_at=now, attempts=outbox.c.attempts + 1)
                )
            if refused:
                session.execute(
                    update(outbox).where(outbox.c.id.in_(refused)).values(attempts=outbox.c.attempts + 1)
                )
        return len(confirmed)

    def observe_backlog(self) -> None:
        with self.db.session() as session:
            count, oldest = session.execute(
                select(func.count(), func.min(outbox.c.created_at)).where(outbox.c.published_at.is_(None))
            ).one()
        metrics.OUTBOX_PENDING.labels(self.settings.service).set(count)
        age = 0.0
        if oldest is not None:
            if oldest.tzinfo is None:
                oldest = oldest.replace(tzinfo=timezone.utc)
            age = (datetime.now(timezone.utc) - oldest).total_seconds()
        metrics.OUTBOX_OLDEST_AGE.labels(self.settings.service).set(max(age, 0.0))

    def run(self, stop: threading.Event, *, idle_wait: float = 0.05) -> None:
        """Relay until `stop` is set; survives broker and database outages with back-off."""
        backoff = 0.5
        last_observed = 0.0
        while not stop.is_set():
            try:
                published = self.publish_batch()
                backoff = 0.5
                if time.monotonic() - last_observed > 5:
                    self.observe_backlog()
                    last_observed = time.monotonic()
                if published < self.batch_size:
                    stop.wait(idle_wait)
            except (*RECOVERABLE, ConfirmTimeout) as exc:
                log.warning("relay.broker_unavailable", error=type(exc).__name__, retry_in=backoff)
                self.close()
                stop.wait(backoff)
                backoff = min(backoff * 2, 10.0)
            except Exception as exc:  # database away, etc.: keep the loop alive
                log.warning("relay.error", error=type(exc).__name__, retry_in=backoff)
                self.close()
                stop.wait(backoff)
                backoff = min(backoff * 2, 10.0)
        self.close()
