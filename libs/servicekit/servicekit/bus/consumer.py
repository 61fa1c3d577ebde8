"""The consumer: one durable quorum queue per service, an inbox for idempotency, retry with back-off
through fixed-TTL queues, then the dead-letter queue.

Per message: parse the envelope, insert (consumer, message_id) into the inbox and run the handler in
ONE transaction, commit, then ack. A duplicate trips the inbox's primary key and is acked without a
second effect. A failing handler is retried after each delay of `settings.retry_delays_ms`, then
rejected, which dead-letters it. A message that can never succeed (malformed envelope, no handler,
invalid data) is dead-lettered at once.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone

import pika
import structlog
from marshmallow import ValidationError
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

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


class PermanentFailure(Exception):
    """Raise from a handler when retrying cannot help (e.g. the event refers to nothing we know and
    never will); the message goes to the dead-letter queue at once."""


class Consumer:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        handlers: dict[str, Handler],
        *,
        prefetch: int = 100,
        clock: Clock | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.handlers = handlers
        self.prefetch = prefetch
        self.clock = clock or SystemClock()
        self.consumer_name = settings.queue.removeprefix(settings.bus_prefix)

    # -- one message -------------------------------------------------------------------------

    def process(self, body: bytes) -> str:
        """Handle one message body; returns the outcome. Raises when the handler failed."""
        event = Event.from_json(body)
        handler = self.handlers.get(event.type)
        if handler is None:
            raise PermanentFailure(f"no handler for {event.type}")
        started = time.perf_counter()
        with UnitOfWork(
            self.db,
            self.settings.service,
            correlation_id=event.correlation_id,
            actor=f"event:{event.source}",
            actor_role="system",
            clock=self.clock,
        ) as uow:
            try:
                uow.session.execute(
                    insert(inbox).values(
                        consumer=self.consumer_name,
                        message_id=event.id,
                        event_type=event.type,
                        handled_at=datetime.now(timezone.utc),
                    )
                )
                uow.session.flush()
            except IntegrityError:
                return "duplicate"
            structlog.contextvars.bind_contextvars(correlation_id=event.correlation_id, event_type=event.type)
            try:
                handler(uow, event)
                uow.commit()
            except IntegrityError:
                # A concurrent consumer may have committed the same message between our insert and
                # commit (PostgreSQL reports it at commit): that is a duplicate, not a failure.
                uow.rollback()
                if self._already_handled(event.id):
                    return "duplicate"
                raise
            finally:
                structlog.contextvars.unbind_contextvars("correlation_id", "event_type")
        metrics.HANDLER_LATENCY.labels(self.settings.service, event.type).observe(time.perf_counter() - started)
        return "handled"

    def _already_handled(self, message_id: str) -> bool:
        with self.db.session() as session:
            return (
                session.execute(
                    inbox.select().where(inbox.c.consumer == self.consumer_name, inbox.c.message_id == message_id)
                ).first()
                is not None
            )

    def _on_message(self, channel, retry_channel, method, properties: pika.BasicProperties, body: bytes) -> None:
        event_type = properties.type or "unknown"
        if event_type not in self.handlers:
            event_type = "unknown"  # keep label values to the known set
        try:
            outcome = self.process(body)
            channel.basic_ack(method.delivery_tag)
            metrics.EVENTS_CONSUMED.labels(self.settings.service, event_type, outcome).inc()
            return
        except (MalformedEvent, PermanentFailure, ValidationError) as exc:
            log.error("consumer.dead_lettered", reason=type(exc).__name__, detail=str(exc)[:200])
            channel.basic_reject(method.delivery_tag, requeue=False)
            metrics.EVENTS_CONSUMED.labels(self.settings.service, event_type, "dead_lettered").inc()
            return
        except RECOVERABLE:
            raise
        except Exception as exc:
            log.exception("consumer.handler_failed", error=type(exc).__name__)
        headers = dict(properties.headers or {})
        attempt = int(headers.get(RETRY_HEADER, 0))
        delays = self.settings.retry_delays_ms
        if attempt < len(delays):
            headers[RETRY_HEADER] = attempt + 1
            properties.headers = headers
            retry_channel.basic_publish(
                "", topology.retry_queue(self.settings, delays[attempt]), body, properties=properties, mandatory=True
            )
            channel.basic_ack(method.delivery_tag)
            metrics.EVENTS_CONSUMED.labels(self.settings.service, event_type, "retried").inc()
        else:
            channel.basic_reject(method.delivery_tag, requeue=False)
            metrics.EVENTS_CONSUMED.labels(self.settings.service, event_type, "dead_lettered").inc()

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
                    channel, self.settings, self.settings_bindings(), list(self.settings.retry_delays_ms)
                )
                channel.basic_qos(prefetch_count=self.prefetch)
                retry_channel = connection.channel()
                retry_channel.confirm_delivery()
                metrics.BUS_CONNECTED.labels(self.settings.service).set(1)
                backoff = 0.5
                log.info("consumer.started", queue=self.settings.queue)
                for method, properties, body in channel.consume(self.settings.queue, inactivity_timeout=0.5):
                    if stop.is_set():
                        break
                    if method is None:
                        continue
                    self._on_message(channel, retry_channel, method, properties, body)
                channel.cancel()
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

    def settings_bindings(self) -> list[str]:
        return sorted(self.handlers)
