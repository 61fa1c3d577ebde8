"""The consumer: one durable quorum queue per service, an inbox for idempotency, retry with back-off
through fixed-TTL queues, then the dead-letter queue.

Per batch of deliveries: parse the envelopes, claim (consumer, message_id) in the inbox and run the
handlers in one transaction; commit, then ack. A message already in the inbox is acked without a
second effect. A failing handler is retried after each delay of `settings.retry_delays_ms`, then
rejected, which dead-letters it. A message that can never succeed (malformed envelope, no handler,
invalid data) is dead-lettered at once. A handler that raises `NotYet` (the event is about something
another service's event brings, not handled here yet) is neither: its message waits in the retry
tiers for as long as BUS_WAIT_PATIENCE_S, and waiting never counts as an attempt.

Poison detection by real handling attempts, not by broker deliveries. A killed worker hands all its
prefetched messages back and a quorum queue counts a delivery for each, whether or not a handler
ever started on it; a crash-looping worker would dead-letter healthy events by that count. So for a
message that comes back (redelivered, or `x-delivery-count` > 0) the consumer records the attempt in
`handling_attempts` in a short transaction of its own, committed before the handler starts. Those
that come back for the first time are marked and handled together (one transaction each for the
whole group); one that came back before is a suspect and is handled on its own, its attempt counted,
so that a worker that dies now counts against that message only. A message merely prefetched (or
handled in a group) when the worker died costs nothing; one that
kills its worker every time (segfault, OOM, os._exit) is dead-lettered once it was started
BUS_MAX_ATTEMPTS times (the first delivery, which is not recorded so that the normal path stays one
transaction per batch, is presumed to have been one; a run in a group of returned messages is not
counted against any of them). Handler failures are recorded too; the retry
tiers give up after their last delay or when the attempts are used up. Handling clears the row in the
effect's transaction. The count is per delivery (the row remembers which delivery counted last), so a
batch retried during a database outage, or a commit whose answer was lost, never counts twice.

The consumer dead-letters by publishing the message to the dead-letter exchange itself, with publisher
confirms and an `x-dead-letter-reason`, and acks only then: what it gives up on reaches the DLQ whatever
the queue's dead-letter settings. The broker's own limit (`delivery-limit` of the queue policy, see
servicekit.bus.policies) stays as a far backstop.

When the database is away, the consumer keeps its channel and retries the same batch with back-off
(heartbeats go on) instead of reconnecting: every reconnect would hand the prefetched messages back
to the queue, and each return counts towards the quorum queue's delivery limit — a minute-long
database outage would otherwise dead-letter healthy events. After DATABASE_PATIENCE_S it falls
back to reconnecting, so a batch that can never be stored still meets the delivery limit.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

import structlog
from marshmallow import ValidationError
from sqlalchemy import case, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import InterfaceError, OperationalError

from servicekit import metrics
from servicekit.bus import policies, topology
from servicekit.bus.connection import RECOVERABLE, close_quietly, connect
from servicekit.bus.envelope import Event, MalformedEvent
from servicekit.clock import Clock, SystemClock
from servicekit.db.database import Database
from servicekit.db.tables import handling_attempts, inbox
from servicekit.db.uow import UnitOfWork
from servicekit.service import Handler
from servicekit.settings import Settings

log = structlog.get_logger("servicekit.consumer")

RETRY_HEADER = "x-retry-count"
# Errors that mean "the database is not answering", not "this event cannot be handled".
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
DATABASE_PATIENCE_S = 300.0
MAX_ATTEMPTS = 5  # BUS_MAX_ATTEMPTS: handler starts that never finished before a message is given up
DEAD_LETTER_REASON = "x-dead-letter-reason"
REASON_ATTEMPTS = "attempts_exhausted"  # started this often and never finished (crashed or failed)
REASON_RETRIES = "retries_exhausted"  # failed after the last retry tier
REASON_WAITED = "prerequisite_missing"  # waited (NotYet) for BUS_WAIT_PATIENCE_S and it never came
WAIT_HEADER = "x-wait-count"  # times the message went to a retry tier to wait (NotYet)
WAITING_SINCE_HEADER = "x-waiting-since"  # when it first waited, as UTC epoch seconds
WAIT_PATIENCE_S = 86_400.0  # BUS_WAIT_PATIENCE_S: a day covers any outage the system recovers from


class _HandlerFailed(Exception):
    def __init__(self, outcome: "Outcome", event_id: str | None = None, error: str | None = None) -> None:
        super().__init__(outcome[0])
        self.outcome = outcome
        self.event_id = event_id
        self.error = error  # the exception's class name: never its text, which may hold personal data


class PermanentFailure(Exception):
    """Raise from a handler when retrying cannot help (e.g. the event refers to nothing we know and
    never will); the message goes to the dead-letter queue at once."""


class NotYet(Exception):
    """Raise from a handler when the event is about something that another event brings and that
    has not been handled here yet. Two services' events have no common order — the earlier one may
    sit in a retry tier or come back in a redelivery — so this is the message's turn coming too
    early, not a failure: it waits in the retry tiers (the last tier's delay over and over) without
    counting as an attempt, and is dead-lettered as prerequisite_missing only after
    BUS_WAIT_PATIENCE_S."""


# (outcome, event type, why it was dead-lettered): outcome is handled, duplicate, retry, wait or dead_letter
Outcome = tuple[str, str, "str | None"]


@dataclass(frozen=True)
class Delivery:
    body: bytes
    key: str  # this delivery and no other: "<connection>:<delivery tag>"
    redelivered: bool = False  # came back from a consumer that did not ack it
    may_have_attempts: bool = False  # redelivered or retried: there may be a handling_attempts row
    retries: int = 0  # retry tiers it went through (x-retry-count)


def _retry_count(properties, last: int) -> int:
    """The x-retry-count a message carries. One some other publisher mangled (text, a list, ...)
    counts as retries used up: the message is dead-lettered instead of crashing the loop on every
    redelivery."""
    try:
        return max(0, int((properties.headers or {}).get(RETRY_HEADER, 0)))
    except (TypeError, ValueError):
        return last


def _header_number(headers: dict, name: str, default: float) -> float:
    """A number header; one some other publisher mangled counts as absent."""
    try:
        return float(headers[name])
    except (KeyError, TypeError, ValueError):
        return default


def was_redelivered(method, properties) -> bool:
    """The broker handed it to a consumer before (that consumer died or its channel closed)."""
    if getattr(method, "redelivered", False):
        return True
    try:
        return int((properties.headers or {}).get("x-delivery-count") or 0) > 0
    except (TypeError, ValueError):
        return True


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
        max_attempts: int | None = None,
        count_attempts: bool = True,
    ) -> None:
        self.db = db
        self.database_patience_s = database_patience_s
        self.settings = settings
        self.handlers = handlers
        self.prefetch = prefetch
        self.batch_size = batch_size
        self.clock = clock or SystemClock()
        self.consumer_name = settings.queue.removeprefix(settings.bus_prefix)
        self._policies_applied = False
        self.count_attempts = count_attempts  # False: every delivery as if fresh (the benchmark's "before")
        self.max_attempts = max(1, max_attempts or int(settings.get("BUS_MAX_ATTEMPTS", str(MAX_ATTEMPTS))))
        self.wait_patience_s = float(settings.get("BUS_WAIT_PATIENCE_S", str(WAIT_PATIENCE_S)))

    # -- a batch of messages -----------------------------------------------------------------

    def process_batch(self, bodies: list[bytes]) -> list[tuple[str, str]]:
        """Handle fresh messages (delivered for the first time) in ONE transaction — inbox rows
        claimed with one statement, one commit — so the disk is synced once per batch, not once per
        event. If any handler fails, the batch is rolled back and its messages are handled one
        transaction each, so that only the failing one is retried. Returns (outcome, event type) per
        message: handled, duplicate, dead_letter or retry. Nothing may be acked before this returns."""
        batch = f"batch-{uuid.uuid4().hex[:12]}"
        return [o[:2] for o in self._process_fresh([Delivery(b, f"{batch}:{i}") for i, b in enumerate(bodies)])]

    def _process_fresh(self, deliveries: list[Delivery]) -> list[Outcome]:
        try:
            return self._process_together(deliveries)
        except _HandlerFailed as failed:
            if len(deliveries) == 1:
                return [self._after_failure(deliveries[0], failed)]
            return [self._process_alone(delivery) for delivery in deliveries]

    def _process_alone(self, delivery: Delivery) -> Outcome:
        try:
            return self._process_together([delivery])[0]
        except _HandlerFailed as failed:
            return self._after_failure(delivery, failed)

    def process_redelivered(self, delivery: Delivery) -> Outcome:
        """A message that came back: count the attempt durably, then handle it on its own, so that
        a worker killed now counts against this message only, not against a whole batch."""
        parsed = self._parse(delivery.body)
        if not isinstance(parsed, Event):
            return parsed
        attempts = self._start_attempt(parsed, delivery.key)
        if attempts is None:
            return "duplicate", parsed.type, None  # handled before; the ack was what got lost
        if attempts + 1 > self.max_attempts:  # + 1: the first delivery, presumed started too
            log.error("consumer.attempts_exhausted", event_type=parsed.type, attempts=self.max_attempts)
            self._forget(parsed.id)
            return "dead_letter", parsed.type, REASON_ATTEMPTS
        return self._process_alone(delivery)

    def _process_together(self, deliveries: list[Delivery]) -> list[Outcome]:
        parsed = [self._parse(delivery.body) for delivery in deliveries]
        events = [item for item in parsed if isinstance(item, Event)]
        outcomes: list[Outcome] = []
        with UnitOfWork(self.db, self.settings.service, actor_role="system", clock=self.clock) as uow:
            fresh = self._claim(uow, events)
            for item in parsed:
                if not isinstance(item, Event):
                    outcomes.append(item)
                elif item.id not in fresh:
                    outcomes.append(("duplicate", item.type, None))
                else:
                    fresh.discard(item.id)  # the same message twice in one batch: the second is a duplicate
                    self._run_handler(uow, item, alone=len(deliveries) == 1)
                    outcomes.append(("handled", item.type, None))
            settled = [e.id for e, d in zip(parsed, deliveries) if isinstance(e, Event) and d.may_have_attempts]
            if settled:  # in the effect's transaction: handled and "no longer in trouble" commit together
                uow.session.execute(delete(handling_attempts).where(
                    handling_attempts.c.consumer == self.consumer_name, handling_attempts.c.message_id.in_(settled)))
            uow.commit()
        return outcomes

    def _parse(self, body: bytes) -> Event | Outcome:
        try:
            event = Event.from_json(body)
        except MalformedEvent as exc:
            log.error("consumer.malformed", detail=str(exc)[:200])
            return "dead_letter", "unknown", "malformed"
        if event.type not in self.handlers:
            log.error("consumer.no_handler", event_type=event.type[:120])
            return "dead_letter", "unknown", "no_handler"
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

    # -- attempts ----------------------------------------------------------------------------

    def record_attempt(self, session, message_id: str, delivery: str, error: str | None = None, *,
                       count: bool = True) -> int:
        """Add one to the message's attempts — unless this very delivery counted already (a batch
        retried while the database was away, a commit whose answer was lost) — and return them.
        count=False only marks the message as one that came back (a suspect from now on)."""
        table = handling_attempts
        dialect_insert = pg_insert if self.db.is_postgres else sqlite_insert
        step = 1 if count else 0
        stmt = dialect_insert(table).values(
            consumer=self.consumer_name, message_id=message_id, attempts=step, delivery=delivery,
            last_error=error, updated_at=datetime.now(timezone.utc))
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.c.consumer, table.c.message_id],
            set_={
                "attempts": case((table.c.delivery == stmt.excluded.delivery, table.c.attempts),
                                 else_=table.c.attempts + step),
                "delivery": stmt.excluded.delivery,
                "last_error": func.coalesce(stmt.excluded.last_error, table.c.last_error),
                "updated_at": stmt.excluded.updated_at,
            },
        ).returning(table.c.attempts)
        return int(session.execute(stmt).scalar_one())

    def _start_attempt(self, event: Event, delivery: str) -> int | None:
        """The attempt about to start, committed before the handler runs; None if the inbox says
        the message was handled already (then there is nothing to attempt)."""
        with self.db.session() as session:
            done = session.execute(select(inbox.c.message_id).where(
                inbox.c.consumer == self.consumer_name, inbox.c.message_id == event.id)).first()
            if done is not None:
                self._clear_attempts(session, event.id)
                session.commit()
                return None
            attempts = self.record_attempt(session, event.id, delivery)
            session.commit()
            return attempts

    def _forget(self, message_id: str) -> None:
        """The message is given up on (dead-lettered): a replay of it starts from nothing. Cleared
        before the dead letter is published: a worker dying in between costs the message a few more
        attempts, never the message."""
        with self.db.session() as session:
            self._clear_attempts(session, message_id)
            session.commit()

    def _clear_attempts(self, session, message_id: str) -> None:
        session.execute(delete(handling_attempts).where(
            handling_attempts.c.consumer == self.consumer_name, handling_attempts.c.message_id == message_id))

    def _give_back_attempt(self, session, message_id: str, delivery: str) -> None:
        table = handling_attempts
        session.execute(table.update().where(
            table.c.consumer == self.consumer_name, table.c.message_id == message_id,
            table.c.delivery == delivery, table.c.attempts > 0,
        ).values(attempts=table.c.attempts - 1, delivery=f"{delivery}:waited"))

    def _after_failure(self, delivery: Delivery, failed: _HandlerFailed) -> Outcome:
        """Record a failed attempt (no second count if its start was recorded already); retry or,
        when the attempts are used up, dead-letter."""
        outcome, event_type, reason = failed.outcome
        event_id = failed.event_id
        if event_id is None:
            return failed.outcome
        with self.db.session() as session:
            if outcome == "wait":  # too early, not faulty: an attempt its start counted is given back
                self._give_back_attempt(session, event_id, delivery.key)
                session.commit()
                return failed.outcome
            if outcome == "dead_letter":  # given up on anyway: nothing to count any more
                self._clear_attempts(session, event_id)
                session.commit()
                return failed.outcome
            attempts = self.record_attempt(session, event_id, delivery.key, failed.error)
            exhausted = attempts >= self.max_attempts
            if exhausted or reason is None and delivery.retries >= len(self.settings.retry_delays_ms):
                self._clear_attempts(session, event_id)  # given up on: a replay starts from nothing
            session.commit()
        if exhausted:
            log.error("consumer.attempts_exhausted", event_type=event_type, attempts=attempts)
            return "dead_letter", event_type, REASON_ATTEMPTS
        return outcome, event_type, reason

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
        except NotYet as exc:
            if alone:
                log.info("consumer.not_yet", detail=str(exc)[:200])
            raise _HandlerFailed(("wait", event.type, None), event.id, "NotYet") from exc
        except (PermanentFailure, ValidationError) as exc:
            if alone:
                log.error("consumer.rejected", reason=type(exc).__name__, detail=str(exc)[:200])
            raise _HandlerFailed(("dead_letter", event.type, "rejected"), event.id, type(exc).__name__) from exc
        except Exception as exc:
            if alone:
                log.exception("consumer.handler_failed", error=type(exc).__name__)
            raise _HandlerFailed(("retry", event.type, None), event.id, type(exc).__name__) from exc
        finally:
            structlog.contextvars.unbind_contextvars("correlation_id", "event_type")
        metrics.HANDLER_LATENCY.labels(self.settings.service, event.type).observe(time.perf_counter() - started)

    # -- settling ----------------------------------------------------------------------------

    def _settle(self, channel, confirmed_channel, deliveries, outcomes: list[Outcome]) -> None:
        """Ack, retry or dead-letter each message after its batch committed."""
        delays = self.settings.retry_delays_ms
        for (method, properties, body), (outcome, event_type, reason) in zip(deliveries, outcomes):
            label = event_type if event_type in self.handlers else "unknown"
            if outcome in ("handled", "duplicate"):
                channel.basic_ack(method.delivery_tag)
                metrics.EVENTS_CONSUMED.labels(self.settings.service, label, outcome).inc()
                continue
            if outcome == "wait":
                self._wait(channel, confirmed_channel, method, properties, body, label)
                continue
            attempt = _retry_count(properties, len(delays))
            if outcome == "retry" and attempt < len(delays):
                properties.headers = {**(properties.headers or {}), RETRY_HEADER: attempt + 1}
                confirmed_channel.basic_publish(
                    "", topology.retry_queue(self.settings, delays[attempt]), body, properties=properties,
                    mandatory=True,
                )
                channel.basic_ack(method.delivery_tag)
                metrics.EVENTS_CONSUMED.labels(self.settings.service, label, "retried").inc()
            else:
                self.dead_letter(confirmed_channel, properties, body, reason or REASON_RETRIES)
                channel.basic_ack(method.delivery_tag)
                metrics.EVENTS_CONSUMED.labels(self.settings.service, label, "dead_lettered").inc()

    def _wait(self, channel, confirmed_channel, method, properties, body: bytes, label: str) -> None:
        """Into a retry tier to wait (growing delays, then the last one over and over), or into the
        DLQ once BUS_WAIT_PATIENCE_S is over. It leaves as a new message: no x-delivery-count, so
        coming back from the tier is not a redelivery and costs no attempt."""
        delays = self.settings.retry_delays_ms
        headers = properties.headers or {}
        waits = _header_number(headers, WAIT_HEADER, 0)
        since = _header_number(headers, WAITING_SINCE_HEADER, time.time())
        if not delays or time.time() - since > self.wait_patience_s:
            log.error("consumer.prerequisite_missing", event_type=label, waited_s=round(time.time() - since))
            self.dead_letter(confirmed_channel, properties, body, REASON_WAITED)
            channel.basic_ack(method.delivery_tag)
            metrics.EVENTS_CONSUMED.labels(self.settings.service, label, "dead_lettered").inc()
            return
        properties.headers = {**{k: v for k, v in headers.items() if k != "x-delivery-count"},
                              WAIT_HEADER: int(waits) + 1, WAITING_SINCE_HEADER: int(since)}
        confirmed_channel.basic_publish("", topology.retry_queue(self.settings, delays[min(int(waits), len(delays) - 1)]),
                                        body, properties=properties, mandatory=True)
        channel.basic_ack(method.delivery_tag)
        metrics.EVENTS_CONSUMED.labels(self.settings.service, label, "waiting").inc()

    def dead_letter(self, confirmed_channel, properties, body: bytes, reason: str) -> None:
        """Into the DLQ with the reason, confirmed by the broker before the caller acks the original."""
        headers = {k: v for k, v in (properties.headers or {}).items() if k != "x-delivery-count"}
        headers.update({DEAD_LETTER_REASON: reason, "x-first-dead-letter-queue": self.settings.queue})
        properties.headers = headers
        properties.delivery_mode = 2
        confirmed_channel.basic_publish(self.settings.dead_letter_exchange, self.settings.queue, body,
                                        properties=properties, mandatory=True)

    def _process_patiently(self, connection, work, stop: threading.Event) -> list[Outcome]:
        """work(), retried while the database is unavailable, holding the deliveries."""
        backoff, deadline = 0.5, time.monotonic() + self.database_patience_s
        while True:
            try:
                return work()
            except DATABASE_UNAVAILABLE as exc:
                if stop.is_set() or time.monotonic() + backoff > deadline:
                    raise
                log.warning("consumer.database_unavailable", error=type(exc).__name__, retry_in=backoff)
                connection.sleep(backoff)  # keeps heartbeats going; new deliveries queue up meanwhile
                backoff = min(backoff * 2, 10.0)

    def _work_off(self, connection, channel, confirmed_channel, batch, stop: threading.Event) -> None:
        """Fresh messages together, redelivered ones one by one, each settled as soon as it is done."""
        fresh, returned = [], []
        for method, properties, body in batch:
            key = f"{self._connection_id}:{method.delivery_tag}"
            if self.count_attempts and was_redelivered(method, properties):
                retries = _retry_count(properties, len(self.settings.retry_delays_ms))
                returned.append(((method, properties, body), Delivery(body, key, True, True, retries)))
            else:
                retries = _retry_count(properties, len(self.settings.retry_delays_ms))
                from_tier = retries > 0 or WAIT_HEADER in (properties.headers or {})
                fresh.append(((method, properties, body), Delivery(body, key, False, from_tier, retries)))
        if fresh:
            outcomes = self._process_patiently(connection, lambda: self._process_fresh([d for _, d in fresh]), stop)
            self._settle(channel, confirmed_channel, [raw for raw, _ in fresh], outcomes)
        if not returned:
            return
        # Those that never had an attempt recorded go together; suspects (recorded before) alone.
        # Suspects first: they were in flight when a worker died, so the poison is among them, and
        # a worker that dies while a group runs must not find them still waiting behind it.
        suspects = self._process_patiently(connection, lambda: self._sort_returned(returned), stop)
        for raw, delivery in returned:
            if id(delivery) in suspects:
                outcome = self._process_patiently(connection, lambda d=delivery: self.process_redelivered(d), stop)
                self._settle(channel, confirmed_channel, [raw], [outcome])
        clean = [(raw, d) for raw, d in returned if id(d) not in suspects]
        if clean:
            outcomes = self._process_patiently(connection, lambda: self._process_fresh([d for _, d in clean]), stop)
            self._settle(channel, confirmed_channel, [raw for raw, _ in clean], outcomes)

    def _sort_returned(self, returned) -> set[int]:
        """One short transaction for messages that came back: those with no row yet are marked,
        committed before their handlers run together (if the worker dies now, each of them is a
        suspect next time and handled on its own); returns the others, the suspects — and those that
        cannot be read, which take the single path to the DLQ."""
        events = {id(d): self._parse(d.body) for _, d in returned}
        ids = [e.id for e in events.values() if isinstance(e, Event)]
        if not ids:
            return set(events)
        with self.db.session() as session:
            counted = set(session.scalars(select(handling_attempts.c.message_id).where(
                handling_attempts.c.consumer == self.consumer_name, handling_attempts.c.message_id.in_(ids))))
            first_time = [(d, events[id(d)]) for _, d in returned
                          if isinstance(events[id(d)], Event) and events[id(d)].id not in counted]
            if first_time:
                self._mark_returned(session, first_time)
            session.commit()
        return {id(d) for _, d in returned if id(d) not in {id(fd) for fd, _ in first_time}}

    def _mark_returned(self, session, first_time) -> None:
        """One multi-row INSERT marking these messages as ones that came back, attempts 0: a group
        that dies says nothing about which of them killed it — each is handled alone next time,
        where its own attempts count. A row another consumer wrote meanwhile is left as it is."""
        now = datetime.now(timezone.utc)
        rows = {event.id: dict(consumer=self.consumer_name, message_id=event.id, attempts=0,
                               delivery=f"{delivery.key}:group", last_error=None, updated_at=now)
                for delivery, event in first_time}
        dialect_insert = pg_insert if self.db.is_postgres else sqlite_insert
        session.execute(dialect_insert(handling_attempts).values(list(rows.values())).on_conflict_do_nothing(
            index_elements=[handling_attempts.c.consumer, handling_attempts.c.message_id]))

    # -- the loop ----------------------------------------------------------------------------

    def _ensure_policies(self) -> None:
        """Set the queue policies once per process (again after a failure). Without them the queue
        has no broker-side backstop and the retry tiers no TTL; the kit's own dead letters do not
        depend on them (it publishes them itself), so consuming goes on either way."""
        if self._policies_applied:
            return
        try:
            changed = [n for n, what in policies.apply([self.settings]) if what != "unchanged"]
            self._policies_applied = True
            if changed:
                log.info("consumer.policies_set", policies=len(changed))
        except Exception as exc:
            log.error("consumer.policies_not_applied", error=type(exc).__name__, detail=str(exc)[:300])

    def run(self, stop: threading.Event) -> None:
        """Consume until `stop` is set; reconnects with back-off when the broker goes away."""
        backoff = 0.5
        while not stop.is_set():
            connection = None
            try:
                connection = connect(self.settings.bus_url, f"{self.settings.service}-consumer")
                channel = connection.channel()
                legacy = topology.declare_consumer(
                    channel, self.settings, sorted(self.handlers), list(self.settings.retry_delays_ms)
                )
                # after the declaration: on a fresh broker the queues exist before their policies
                # apply, and a slow management API never delays the queues themselves
                self._ensure_policies()
                if legacy:
                    log.warning("consumer.legacy_queues", queues=legacy, hint="wohnenplus bus migrate")
                channel.basic_qos(prefetch_count=self.prefetch)
                confirmed_channel = connection.channel()  # retries and dead letters, with confirms
                confirmed_channel.confirm_delivery()
                self._connection_id = uuid.uuid4().hex[:16]
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
                        self._work_off(connection, channel, confirmed_channel, batch, stop)
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
