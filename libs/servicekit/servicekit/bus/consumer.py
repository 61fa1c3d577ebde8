"""The consumer: one durable quorum queue per service, an inbox for idempotency, retry with back-off
through fixed-TTL queues, then the dead-letter queue.

Per batch of deliveries: parse the envelopes, claim (consumer, message_id) in the inbox and run the
handlers in one transaction; commit, then ack. A message already in the inbox is acked without a
second effect. A failing handler is retried after each delay of `settings.retry_delays_ms`, then
rejected, which dead-letters it. A message that can never succeed (malformed envelope, no handler,
invalid data) is dead-lettered at once.

When the database is away, the consumer keeps its channel and retries the same batch with back-off
(heartbeats go on) instead of reconnecting: every reconnect would hand the prefetched messages back
to the queue, and each return counts towards the quorum queue's delivery limit — a minute-long
database outage would otherwise dead-letter healthy events. After DATABASE_PATIENCE_S it falls
back to reconnecting, so a batch that can never be stored still meets the delivery limit.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone

import structlog
from marshmallow import ValidationError
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import InterfaceError, OperationalError

from servicekit import metrics
from servicekit.bus import topology
from servicekit.bus.connection import RECOVERABLE, close_quietly, connect
from servicekit.bus.envelope import Event, MalformedEvent
from servicekit.clock import Clock, SystemClock
from servicekit.db.database import Database
from servicekit.db.tables import inbox
from servicekit.db.uow import UnitOfWork
from servicekit.service import Handler
from servicekit.settings import Settings

log = structlog.get_logger("servicekit.consumer")

RETRY_HEADER = "x-retry-count"
# Errors that mean "the database is not answering", not "this event cannot be handled".
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
DATABASE_PATIENCE_S = 300.0


class _HandlerFailed(Exception):
    def __init__(self, outcome: tuple[str, str]) -> None:
        super().__init__(outcome[0])
        self.outcome = outcome


class PermanentFailure(Exception):
    """Raise from a handler when retrying cannot help (e.g. the event refers to nothing we know and
    never will); the message goes to the dead-letter queue at once."""


def _retry_count(properties, last: int) -> int:
    """The x-retry-count a message carries. One some other publisher mangled (text, a list, ...)
    counts as retries used up: the message is dead-lettered instead of crashing the loop on every
    redelivery."""
    try:
        return max(0, int((properties.headers or {}).get(RETRY_HEADER, 0)))
    except (TypeError, ValueError):
        return last


class Consumer:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        handlers: dict[str, Handler],
        *,
        prefetch: int = 200,
        batch_size: int = 100,
        clock: Clock | None = None,
        database_patience_s: float = DATABASE_PATIENCE_S,
    ) -> None:
        self.db = db
        self.database_patience_s = database_patience_s
        self.settings = settings
        self.handlers = handlers
        self.prefetch = prefetch
        self.batch_size = batch_size
        self.clock = clock or SystemClock()
        self.consumer_name = settings.queue.removeprefix(settings.bus_prefix)

    # -- a batch of messages -----------------------------------------------------------------

    def process_batch(self, bodies: list[bytes]) -> list[tuple[str, str]]:
        """Handle a batch in ONE transaction — inbox rows claimed with one statement, one commit —
        so the disk is synced once per batch, not once per event. If any handler fails, the batch
        is rolled back and its messages are handled one transaction each, so that only the failing
        one is retried. Returns (outcome, event type) per message: handled, duplicate, dead_letter
        or retry. Nothing may be acked before this returns."""
        try:
            return self._process_together(bodies)
        except _HandlerFailed as failed:
            if len(bodies) == 1:
                return [failed.outcome]
            return [self._process_alone(body) for body in bodies]

    def _process_alone(self, body: bytes) -> tuple[str, str]:
        try:
            return self._process_together([body])[0]
        except _HandlerFailed as failed:
            return failed.outcome

    def _process_together(self, bodies: list[bytes]) -> list[tuple[str, str]]:
        parsed = [self._parse(body) for body in bodies]
        events = [item for item in parsed if isinstance(item, Event)]
        outcomes: list[tuple[str, str]] = []
        with UnitOfWork(self.db, self.settings.service, actor_role="system", clock=self.clock) as uow:
            fresh = self._claim(uow, events)
            for item in parsed:
                if not isinstance(item, Event):
                    outcomes.append(item)
                elif item.id not in fresh:
                    outcomes.append(("duplicate", item.type))
                else:
                    fresh.discard(item.id)  # the same message twice in one batch: the second is a duplicate
                    self._run_handler(uow, item, alone=len(bodies) == 1)
                    outcomes.append(("handled", item.type))
            uow.commit()
        return outcomes

    def _parse(self, body: bytes) -> Event | tuple[str, str]:
        try:
            event = Event.from_json(body)
        except MalformedEvent as exc:
            log.error("consumer.malformed", detail=str(exc)[:200])
            return "dead_letter", "unknown"
        if event.type not in self.handlers:
            log.error("consumer.no_handler", event_type=event.type[:120])
            return "dead_letter", "unknown"
        return event

    def _claim(self, uow: UnitOfWork, events: list[Event]) -> set[str]:
        """Insert the inbox rows; the ids that were not there yet are the ones to handle."""
        if not events:
            return set()
        now = datetime.now(timezone.utc)
        rows = [{"consumer": self.consumer_name, "message_id": e.id, "event_type": e.type, "handled_at": now}
                for e in events]
        dialect_insert = pg_insert if self.db.is_postgres else sqlite_insert
        stmt = dialect_insert(inbox).values(rows).on_conflict_do_nothing().returning(inbox.c.message_id)
        return set(uow.session.scalars(stmt))

    def _run_handler(self, uow: UnitOfWork, event: Event, *, alone: bool) -> None:
        uow.correlation_id = event.correlation_id  # events the handler publishes carry the cause's id
        uow.actor = f"event:{event.source}"
        started = time.perf_counter()
        structlog.contextvars.bind_contextvars(correlation_id=event.correlation_id, event_type=event.type)
        try:
            self.handlers[event.type](uow, event)
            uow.session.flush()
        except DATABASE_UNAVAILABLE:
            raise  # not the event's fault: the whole batch waits for the database
        except (PermanentFailure, ValidationError) as exc:
            if alone:
                log.error("consumer.rejected", reason=type(exc).__name__, detail=str(exc)[:200])
            raise _HandlerFailed(("dead_letter", event.type)) from exc
        except Exception as exc:
            if alone:
                log.exception("consumer.handler_failed", error=type(exc).__name__)
            raise _HandlerFailed(("retry", event.type)) from exc
        finally:
            structlog.contextvars.unbind_contextvars("correlation_id", "event_type")
        metrics.HANDLER_LATENCY.labels(self.settings.service, event.type).observe(time.perf_counter() - started)

    def _settle(self, channel, retry_channel, deliveries, outcomes) -> None:
        """Ack, retry or dead-letter each message after its batch committed."""
        delays = self.settings.retry_delays_ms
        for (method, properties, body), (outcome, event_type) in zip(deliveries, outcomes):
            label = event_type if event_type in self.handlers else "unknown"
            if outcome in ("handled", "duplicate"):
                channel.basic_ack(method.delivery_tag)
                metrics.EVENTS_CONSUMED.labels(self.settings.service, label, outcome).inc()
                continue
            attempt = _retry_count(properties, len(delays))
            if outcome == "retry" and attempt < len(delays):
                properties.headers = {**(properties.headers or {}), RETRY_HEADER: attempt + 1}
                retry_channel.basic_publish(
                    "", topology.retry_queue(self.settings, delays[attempt]), body, properties=properties,
                    mandatory=True,
                )
                channel.basic_ack(method.delivery_tag)
                metrics.EVENTS_CONSUMED.labels(self.settings.service, label, "retried").inc()
            else:
                channel.basic_reject(method.delivery_tag, requeue=False)  # → wohnenplus.dlx → DLQ
                metrics.EVENTS_CONSUMED.labels(self.settings.service, label, "dead_lettered").inc()

    def _process_patiently(self, connection, batch, stop: threading.Event) -> list[tuple[str, str]]:
        """process_batch, retried while the database is unavailable, holding the deliveries."""
        bodies = [body for _, _, body in batch]
        backoff, deadline = 0.5, time.monotonic() + self.database_patience_s
        while True:
            try:
                return self.process_batch(bodies)
            except DATABASE_UNAVAILABLE as exc:
                if stop.is_set() or time.monotonic() + backoff > deadline:
                    raise
                log.warning("consumer.database_unavailable", error=type(exc).__name__, retry_in=backoff)
                connection.sleep(backoff)  # keeps heartbeats going; new deliveries queue up meanwhile
                backoff = min(backoff * 2, 10.0)

    # -- the loop ----------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Consume until `stop` is set; reconnects with back-off when the broker goes away."""
        backoff = 0.5
        while not stop.is_set():
            connection = None
            try:
                connection = connect(self.settings.bus_url, f"{self.settings.service}-consumer")
                channel = connection.channel()
                topology.declare_consumer(
                    channel, self.settings, sorted(self.handlers), list(self.settings.retry_delays_ms)
                )
                channel.basic_qos(prefetch_count=self.prefetch)
                retry_channel = connection.channel()
                retry_channel.confirm_delivery()
                metrics.BUS_CONNECTED.labels(self.settings.service).set(1)
                metrics.BUS_CONNECTS.labels(self.settings.service).inc()
                backoff = 0.5
                log.info("consumer.started", queue=self.settings.queue)
                deliveries: list = []
                channel.basic_consume(self.settings.queue, lambda _ch, *delivery: deliveries.append(delivery))
                while not stop.is_set():
                    # Block briefly only when idle; otherwise take whatever has already arrived.
                    connection.process_data_events(time_limit=0 if deliveries else 0.5)
                    while deliveries:
                        batch, deliveries[:] = deliveries[: self.batch_size], deliveries[self.batch_size :]
                        outcomes = self._process_patiently(connection, batch, stop)
                        self._settle(channel, retry_channel, batch, outcomes)
            except RECOVERABLE as exc:
                metrics.BUS_CONNECTED.labels(self.settings.service).set(0)
                log.warning("consumer.broker_unavailable", error=type(exc).__name__, retry_in=backoff)
                stop.wait(backoff)
                backoff = min(backoff * 2, 10.0)
            except Exception as exc:  # e.g. the database is away: the unacked messages come back later
                metrics.BUS_CONNECTED.labels(self.settings.service).set(0)
                log.exception("consumer.error", error=type(exc).__name__, retry_in=backoff)
                stop.wait(backoff)
                backoff = min(backoff * 2, 10.0)
            finally:
                close_quietly(connection)
        metrics.BUS_CONNECTED.labels(self.settings.service).set(0)
