"""Delivery of email and webhook notifications: one attempt, the delivery run over every due row,
and an operator's redelivery of a failed one."""

from __future__ import annotations

import time
from contextlib import nullcontext
from datetime import datetime
from typing import Callable, Protocol

import structlog
from sqlalchemy import and_, select

from servicekit.db import UnitOfWork
from servicekit.errors import UnknownObject

from notifications import metrics, runtime as rt
from notifications.adapters.smtp import SmtpMailer
from notifications.adapters.webhook import WebhookSender
from notifications.domain.addresses import InvalidEmailAddress
from notifications.domain.catalogue import Channel
from notifications.domain.delivery import (
    AttemptOutcome,
    DeliveryState,
    DeliveryStatus,
    Delivery,
    destination_unreachable,
)
from notifications.domain.email_message import build_email
from notifications.domain.recipients import RecipientRef
from notifications.domain.rendering import RenderedMessage
from notifications.domain.signing import signature_headers, unix_time
from notifications.models import DeliveryAttempt, Notification, WebhookEndpoint

log = structlog.get_logger("notifications")

PENDING, DELIVERED, FAILED = DeliveryStatus.PENDING, DeliveryStatus.DELIVERED, DeliveryStatus.FAILED


class Mailer(Protocol):
    def send(self, message) -> AttemptOutcome: ...


class Poster(Protocol):
    def post(self, url: str, body: bytes, headers: dict[str, str]) -> AttemptOutcome: ...


# --- one attempt ------------------------------------------------------------------------------


def _rendered(note: Notification) -> RenderedMessage:
    return RenderedMessage(subject=note.subject, text=note.body, html=note.html or "")


def _attempt_email(uow: UnitOfWork, note: Notification, now: datetime, mailer: Mailer,
                   poster: Poster) -> AttemptOutcome:
    try:
        email = build_email(
            _rendered(note), sender=rt.sender(), to_email=note.destination or "", to_name=note.recipient_name,
            notification_id=note.id, sent_at=now, event_type=note.event_type,
        )
    except InvalidEmailAddress:
        raise
    except ValueError as error:
        # The same message fails the same way on every attempt: a clear reason, not a retry loop.
        return AttemptOutcome.permanent_failure(f"email cannot be built: {error}")
    return mailer.send(email)


def _attempt_webhook(uow: UnitOfWork, note: Notification, now: datetime, mailer: Mailer,
                     poster: Poster) -> AttemptOutcome:
    endpoint = uow.session.get(WebhookEndpoint, RecipientRef.parse(note.recipient).id)
    if endpoint is None:
        return AttemptOutcome.permanent_failure("webhook endpoint removed")
    secrets = [endpoint.secret]
    if endpoint.previous_secret and endpoint.previous_secret_expires_at and endpoint.previous_secret_expires_at > now:
        secrets.append(endpoint.previous_secret)
    body = (note.payload or "{}").encode("utf-8")
    # Wall-clock time, not the business clock: the receiver checks the timestamp against its own
    # clock, and a demo running with WOHNENPLUS_CLOCK_OFFSET_DAYS must still verify.
    headers = signature_headers(secrets, note.id, unix_time(), body, legacy=endpoint.legacy_signature)
    return poster.post(endpoint.url, body, headers)


Attempt = Callable[[UnitOfWork, Notification, datetime, Mailer, Poster], AttemptOutcome]

#: Channel -> how one attempt goes out (inbox rows are delivered when written, never attempted).
_ATTEMPT: dict[Channel, Attempt] = {Channel.EMAIL: _attempt_email, Channel.WEBHOOK: _attempt_webhook}


def _outcome(uow: UnitOfWork, note: Notification, channel: Channel, mailer: Mailer, poster: Poster) -> AttemptOutcome:
    try:
        return _ATTEMPT[channel](uow, note, uow.now(), mailer, poster)
    except InvalidEmailAddress:
        return AttemptOutcome.permanent_failure("invalid email address")
    except Exception as error:  # noqa: BLE001 — one broken row must not stall the rows behind it
        log.exception("notification.attempt_crashed", notification_id=note.id, error=type(error).__name__)
        return AttemptOutcome.transient(f"internal error {type(error).__name__}")


def _delivery(note: Notification) -> Delivery:
    state = DeliveryState(DeliveryStatus(note.state), note.attempts, note.next_attempt_at, note.last_error)
    return Delivery(note.id, note.recipient, Channel(note.channel), note.event_type, state,
                    erased=note.erased_at is not None)


def _store(note: Notification, state: DeliveryState) -> None:
    note.state = state.status.value
    note.attempts = state.attempts
    note.next_attempt_at = state.next_attempt_at
    note.last_error = state.last_error


def deliver_one(
    uow: UnitOfWork, note: Notification, mailer: Mailer, poster: Poster
) -> tuple[DeliveryStatus, AttemptOutcome]:
    """One attempt for one due notification, recorded with its outcome in this unit of work."""
    delivery = _delivery(note)
    channel = delivery.channel
    started = time.perf_counter()
    outcome = _outcome(uow, note, channel, mailer, poster)
    finished = uow.now()
    state = delivery.attempted(outcome, finished, rt.runtime().policies[channel])
    uow.session.add(
        DeliveryAttempt(notification_id=note.id, number=state.attempts, at=finished, ok=outcome.ok,
                        error=outcome.error, duration_ms=int((time.perf_counter() - started) * 1000))
    )
    _store(note, state)
    _AFTER[state.status](uow, note, channel, state, finished)
    uow.publish_recorded(delivery)
    return state.status, outcome


def _delivered(uow: UnitOfWork, note: Notification, channel: Channel, state: DeliveryState, at: datetime) -> None:
    note.delivered_at = at
    metrics.ATTEMPTS.labels(channel.value, "delivered").inc()
    metrics.LATENCY.labels(channel.value).observe(max(0.0, (at - note.created_at).total_seconds()))
    uow.audit("notification", note.id, "delivered", from_state=PENDING.value, to_state=DELIVERED.value,
              detail={"channel": channel.value, "attempts": state.attempts})


def _failed(uow: UnitOfWork, note: Notification, channel: Channel, state: DeliveryState, at: datetime) -> None:
    metrics.ATTEMPTS.labels(channel.value, "failed").inc()
    uow.audit("notification", note.id, "failed", from_state=PENDING.value, to_state=FAILED.value,
              detail={"channel": channel.value, "attempts": state.attempts, "reason": state.last_error})
    log.warning("notification.failed", notification_id=note.id, channel=channel.value, reason=state.last_error)


def _will_retry(uow: UnitOfWork, note: Notification, channel: Channel, state: DeliveryState, at: datetime) -> None:
    metrics.ATTEMPTS.labels(channel.value, "retry").inc()


#: State after the attempt -> what is recorded and announced about it.
_AFTER = {DELIVERED: _delivered, FAILED: _failed, PENDING: _will_retry}


# --- the delivery run -------------------------------------------------------------------------


def deliver_due(
    uow_factory, now: datetime, *, mailer: Mailer | None = None, poster: Poster | None = None,
    batch: int | None = None,
) -> int:
    """Attempt every due email and webhook, one row per transaction.

    The row is locked (`FOR UPDATE SKIP LOCKED` on PostgreSQL) for its attempt, so competing
    workers never send the same notification twice at the same time.
    """
    mailer = mailer or SmtpMailer(rt.smtp_settings())
    poster = poster or WebhookSender(timeout=rt.webhook_timeout(), allowed=rt.webhook_allowed_hosts(),
                                     cafile=rt.webhook_cafile())
    # One SMTP connection for the whole run instead of one per message.
    with mailer if isinstance(mailer, SmtpMailer) else nullcontext():
        return _deliver_due(uow_factory, now, mailer, poster, batch or rt.delivery_batch())


class _Unreachable:
    """Destinations found down during this run: their other due messages wait for the next run
    instead of using up attempts."""

    def __init__(self) -> None:
        self.smtp = False
        self.companies: set[str] = set()

    def note(self, row: Notification, outcome: AttemptOutcome) -> None:
        if not destination_unreachable(outcome):
            return
        if row.channel == Channel.EMAIL.value:
            self.smtp = True
        else:
            self.companies.add(row.recipient)

    def due(self, now: datetime):
        stmt = select(Notification).where(Notification.state == PENDING.value, Notification.next_attempt_at <= now)
        if self.smtp:
            stmt = stmt.where(Notification.channel != Channel.EMAIL.value)
        if self.companies:
            stmt = stmt.where(~and_(Notification.channel == Channel.WEBHOOK.value,
                                    Notification.recipient.in_(self.companies)))
        return stmt


def _deliver_due(uow_factory, now: datetime, mailer: Mailer, poster: Poster, batch: int) -> int:
    done = 0
    unreachable = _Unreachable()
    for _ in range(batch):
        with uow_factory() as uow:
            note = uow.session.scalars(
                unreachable.due(now).order_by(Notification.next_attempt_at).limit(1).with_for_update(skip_locked=True)
            ).first()
            if note is None:
                break
            _, outcome = deliver_one(uow, note, mailer, poster)
            uow.commit()
            done += 1
        unreachable.note(note, outcome)
    return done


# --- redelivery -------------------------------------------------------------------------------


def redeliver(uow: UnitOfWork, notification_id: str) -> Notification:
    """Operator's redelivery of a failed email or webhook: a fresh round of attempts."""
    note = uow.session.get(Notification, notification_id)
    if note is None:
        raise UnknownObject("notification.unknown", "No notification with this id.")
    state = _delivery(note).redeliver(uow.now())
    note.state, note.next_attempt_at, note.attempts = state.status.value, state.next_attempt_at, state.attempts
    uow.audit("notification", note.id, "redeliver", from_state=FAILED.value, to_state=PENDING.value)
    return note
