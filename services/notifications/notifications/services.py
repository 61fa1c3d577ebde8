"""Service layer: what the handlers, the delivery job and the API do, in units of work.

Pure decisions come from `notifications.domain`; this module loads and stores rows and calls the
channel adapters.
"""

from __future__ import annotations

import time
from contextlib import nullcontext
from datetime import datetime, timedelta
from typing import Protocol

import structlog
from sqlalchemy import and_, insert, select

from servicekit.bus import Event as BusEvent
from servicekit.bus.consumer import PermanentFailure
from servicekit.db import UnitOfWork
from servicekit.errors import Unprocessable

from notifications import erasure, metrics, runtime as rt
from notifications.adapters.smtp import SmtpMailer
from notifications.adapters.webhook import WebhookSender
from notifications.domain.catalogue import DELIVERY_FAILED, Channel, Event, InvalidEvent, Role
from notifications.domain.channels import channels_for
from notifications.domain.delivery import (
    AttemptOutcome,
    DeliveryState,
    DeliveryStatus,
    after_attempt,
    destination_unreachable,
    failure_event_data,
    publishes_failure,
)
from notifications.domain.addresses import InvalidEmailAddress
from notifications.domain.email_message import build_email
from notifications.domain.households import household_of_event, household_of_message
from notifications.domain.planning import plan_messages, render_message, wanted_references
from notifications.domain.recipients import (
    ContactDetails,
    ContactPersonAssigned,
    ContactPersonReleased,
    RecipientRef,
    directory_facts,
)
from notifications.domain.rendering import RenderedMessage, RenderError
from notifications.domain.signing import new_secret, signature_headers, unix_time
from notifications.domain.webhooks import encode_body, webhook_payload
from notifications.models import (
    ContactPerson,
    DeliveryAttempt,
    DirectoryEntry,
    Notification,
    WebhookEndpoint,
    new_id,
)

log = structlog.get_logger("notifications")

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
_COLUMNS = tuple(Notification.__table__.columns)


# --- events -> directory and notifications ---------------------------------------------------


def _apply_fact(uow: UnitOfWork, fact, now: datetime) -> None:
    session = uow.session
    if isinstance(fact, ContactDetails):
        entry = session.get(DirectoryEntry, str(fact.ref))
        if entry is None:
            entry = DirectoryEntry(ref=str(fact.ref), kind=fact.kind, updated_at=now)
            session.add(entry)
        # An event without a detail does not erase what an earlier event told.
        entry.name = (fact.name or entry.name or "")[:200] or None
        entry.email = fact.email or entry.email
        entry.phone = (fact.phone or entry.phone or "")[:60] or None
        entry.updated_at = now
    elif isinstance(fact, ContactPersonAssigned):
        row = session.get(ContactPerson, fact.household_id)
        if row is None:
            session.add(ContactPerson(household_id=fact.household_id, caseworker_id=fact.caseworker_id,
                                      case_id=fact.case_id, assigned_at=now))
        else:
            row.caseworker_id, row.case_id, row.assigned_at = fact.caseworker_id, fact.case_id, now
    elif isinstance(fact, ContactPersonReleased):
        row = session.get(ContactPerson, fact.household_id)
        if row is not None and row.case_id == fact.case_id:
            session.delete(row)
    session.flush()


def _contact(entries: dict[str, DirectoryEntry], ref: RecipientRef) -> tuple[str | None, str | None]:
    """(name for the greeting, email address) of a recipient."""
    entry = entries.get(str(ref))
    if ref.kind == "mailbox":
        _, email = rt.mailbox(ref.id)
        return None, (entry.email if entry and entry.email else email)  # greeted without a name
    return (entry.name, entry.email) if entry else (None, None)


#: Where the directory names the ids an event carries (see `planning.REFERENCE_FIELDS`).
_NAMED_BY = {"household_name": ("household", ("household_id",)),
             "company_name": ("company", ("company_id",)),
             "caseworker_name": ("caseworker", ("contact_person_id", "caseworker_id"))}


def _named_refs(data, wanted: frozenset[str]) -> dict[str, str]:
    """reference field -> directory ref whose name it shows, for the ids this event carries."""
    refs = {}
    for field in wanted & _NAMED_BY.keys():
        kind, keys = _NAMED_BY[field]
        ident = next((data[k] for k in keys if data.get(k)), None)
        if ident:
            refs[field] = f"{kind}:{ident}"
    return refs


def _directory(uow: UnitOfWork, refs: set[str]) -> dict[str, DirectoryEntry]:
    """The directory entries of an event's recipients and of the names its messages show, in one
    query (looked up one by one, that was a statement per recipient and name)."""
    if not refs:
        return {}
    return {e.ref: e for e in uow.session.scalars(select(DirectoryEntry).where(DirectoryEntry.ref.in_(sorted(refs))))}


def _references(data, named: dict[str, str], entries: dict[str, DirectoryEntry], wanted: frozenset[str],
                case_of_household: str | None) -> dict[str, str]:
    """What the directory adds so that messages name what people know (a route shows only what its
    whitelist lists): names for the ids in the event, and the household's case for the contact
    person's link."""
    found = {field: entries[ref].name for field, ref in named.items() if ref in entries and entries[ref].name}
    if "case_id" in wanted and case_of_household and not data.get("case_id"):
        found["case_id"] = case_of_household
    return found


def record_event(uow: UnitOfWork, bus_event: BusEvent) -> list[Notification]:
    """Learn what the event tells the directory, then write one notification per recipient and
    channel. Runs inside the consumer's unit of work, so the inbox entry and these rows commit
    together; the unique (event, recipient, channel) constraint backs that up."""
    runtime = rt.runtime()
    now = uow.now()
    try:
        event = Event(
            id=bus_event.id,
            type=bus_event.type,
            occurred_at=bus_event.occurred_at,
            data=bus_event.data,
            version=bus_event.version,
            source=bus_event.source,
            correlation_id=bus_event.correlation_id,
        )

        def household_of_case(case_id: str) -> str | None:
            return uow.session.scalars(
                select(ContactPerson.household_id).where(ContactPerson.case_id == case_id)
            ).first()

        def household_of_notification(notification_id: str) -> str | None:
            return uow.session.scalar(select(Notification.household_id).where(Notification.id == notification_id))

        household = household_of_event(event.type, event.data, household_of_case, household_of_notification)
        if household and not erasure.may_write_for(uow.session, household):
            # Published before the household was erased, delivered after: its data must not come back.
            log.info("notification.skipped_for_erased_household", event_type=event.type)
            return []
        for fact in directory_facts(event):
            _apply_fact(uow, fact, now)

        contact_rows: dict[str, ContactPerson] = {}

        def contact_person_of(household_id: str) -> str | None:
            row = uow.session.get(ContactPerson, household_id)
            if row is not None:
                contact_rows[household_id] = row
            return row.caseworker_id if row else None

        planned = plan_messages(event, runtime.table, contact_person_of, household_of_case)
    except InvalidEvent as error:
        raise PermanentFailure(str(error)) from None
    wanted = wanted_references([p.route for p in planned])
    named = _named_refs(event.data, wanted)
    entries = _directory(uow, {str(p.recipient) for p in planned} | set(named.values()))
    row = contact_rows.get(str(event.data.get("household_id")))
    references = _references(event.data, named, entries, wanted, row.case_id if row else None)

    written: list[Notification] = []
    for plan in planned:
        name, email = _contact(entries, plan.recipient)
        try:
            message = render_message(runtime.renderer, plan.route, event, name, references, rt.link_base)
        except RenderError as error:
            # The event lacks what its template needs: retrying will not help, dead-letter it
            # so operators see it, rather than send half a message.
            raise PermanentFailure(str(error)) from None
        endpoint = None
        if plan.route.webhook and plan.recipient.kind == "company":
            endpoint = uow.session.get(WebhookEndpoint, plan.recipient.id)
        for channel in channels_for(plan.route, has_email=bool(email), has_webhook=endpoint is not None):
            note = Notification(
                id=new_id(),
                event_id=event.id,
                event_type=event.type,
                recipient=str(plan.recipient),
                household_id=household_of_message(plan.recipient, household),
                recipient_name=name[:200] if name else None,
                role=plan.route.role.value,
                channel=channel.value,
                subject=message.subject,
                body=message.text,
                created_at=now,
                correlation_id=event.correlation_id,
                fallback=plan.fallback,
                attempts=0,
            )
            if channel is Channel.INBOX:
                note.state, note.delivered_at = DELIVERED, now
            else:
                note.state, note.next_attempt_at = PENDING, now
            if channel is Channel.EMAIL:
                note.destination, note.html = email, message.html
            if channel is Channel.WEBHOOK:
                note.payload = encode_body(
                    webhook_payload(
                        delivery_id=note.id,
                        event_id=event.id,
                        event_type=event.type,
                        occurred_at=event.occurred_at,
                        data=plan.route.visible_data(event.data),
                    )
                ).decode("utf-8")
            written.append(note)
    uow.session.flush()
    if written:
        # All of the event's rows in one INSERT, every column named in every row: added to the
        # session one by one, the ORM sent one statement per set of filled columns (an inbox, an
        # email and a webhook row differ), two or three per event.
        uow.session.execute(insert(Notification.__table__),
                            [{column.key: getattr(note, column.key) for column in _COLUMNS} for note in written])
    for note in written:
        metrics.CREATED.labels(note.channel).inc()
    return written


# --- delivery ---------------------------------------------------------------------------------


class Mailer(Protocol):
    def send(self, message) -> AttemptOutcome: ...


class Poster(Protocol):
    def post(self, url: str, body: bytes, headers: dict[str, str]) -> AttemptOutcome: ...


def _attempt(uow: UnitOfWork, note: Notification, now: datetime, mailer: Mailer, poster: Poster) -> AttemptOutcome:
    if note.channel == Channel.EMAIL.value:
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


def _rendered(note: Notification) -> RenderedMessage:
    return RenderedMessage(subject=note.subject, text=note.body, html=note.html or "")


def deliver_one(
    uow: UnitOfWork, note: Notification, mailer: Mailer, poster: Poster
) -> tuple[DeliveryStatus, AttemptOutcome]:
    """One attempt for one due notification, recorded with its outcome in this unit of work."""
    runtime = rt.runtime()
    channel = Channel(note.channel)
    started = time.perf_counter()
    try:
        outcome = _attempt(uow, note, uow.now(), mailer, poster)
    except InvalidEmailAddress:
        outcome = AttemptOutcome.permanent_failure("invalid email address")
    except Exception as error:  # noqa: BLE001 — one broken row must not stall the rows behind it
        log.exception("notification.attempt_crashed", notification_id=note.id, error=type(error).__name__)
        outcome = AttemptOutcome.transient(f"internal error {type(error).__name__}")
    finished = uow.now()
    state = after_attempt(
        DeliveryState(DeliveryStatus(note.state), note.attempts, note.next_attempt_at, note.last_error),
        outcome,
        finished,
        runtime.policies[channel],
    )
    uow.session.add(
        DeliveryAttempt(notification_id=note.id, number=state.attempts, at=finished, ok=outcome.ok,
                        error=outcome.error, duration_ms=int((time.perf_counter() - started) * 1000))
    )
    note.state = state.status.value
    note.attempts = state.attempts
    note.next_attempt_at = state.next_attempt_at
    note.last_error = state.last_error
    if state.status is DeliveryStatus.DELIVERED:
        note.delivered_at = finished
        metrics.ATTEMPTS.labels(channel.value, "delivered").inc()
        created = note.created_at
        metrics.LATENCY.labels(channel.value).observe(max(0.0, (finished - created).total_seconds()))
        uow.audit("notification", note.id, "delivered", from_state=PENDING, to_state=DELIVERED,
                  detail={"channel": channel.value, "attempts": state.attempts})
    elif state.status is DeliveryStatus.FAILED:
        metrics.ATTEMPTS.labels(channel.value, "failed").inc()
        uow.audit("notification", note.id, "failed", from_state=PENDING, to_state=FAILED,
                  detail={"channel": channel.value, "attempts": state.attempts, "reason": state.last_error})
        if publishes_failure(note.event_type):
            uow.publish(DELIVERY_FAILED, failure_event_data(note.id, note.recipient, channel, state.last_error))
        log.warning("notification.failed", notification_id=note.id, channel=channel.value, reason=state.last_error)
    else:
        metrics.ATTEMPTS.labels(channel.value, "retry").inc()
    return state.status, outcome


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


def _deliver_due(uow_factory, now: datetime, mailer: Mailer, poster: Poster, batch: int) -> int:
    done = 0
    smtp_down = False
    unreachable_companies: set[str] = set()
    for _ in range(batch):
        stmt = select(Notification).where(Notification.state == PENDING, Notification.next_attempt_at <= now)
        if smtp_down:
            stmt = stmt.where(Notification.channel != Channel.EMAIL.value)
        if unreachable_companies:
            stmt = stmt.where(~and_(Notification.channel == Channel.WEBHOOK.value,
                                    Notification.recipient.in_(unreachable_companies)))
        with uow_factory() as uow:
            note = uow.session.scalars(
                stmt.order_by(Notification.next_attempt_at).limit(1).with_for_update(skip_locked=True)
            ).first()
            if note is None:
                break
            _, outcome = deliver_one(uow, note, mailer, poster)
            uow.commit()
            done += 1
        if destination_unreachable(outcome):
            if note.channel == Channel.EMAIL.value:
                smtp_down = True
            else:
                unreachable_companies.add(note.recipient)
    return done


def retry_now(uow: UnitOfWork, note: Notification) -> None:
    """Operator's redelivery of a failed email or webhook: a fresh round of attempts."""
    note.state, note.next_attempt_at, note.attempts = PENDING, uow.now(), 0
    uow.audit("notification", note.id, "redeliver", from_state=FAILED, to_state=PENDING)


# --- webhooks ---------------------------------------------------------------------------------


def register_webhook(uow: UnitOfWork, company_id: str, url: str) -> tuple[WebhookEndpoint, str | None]:
    """Create or change a company's endpoint. Returns the secret only when a new one was made."""
    now = uow.now()
    endpoint = uow.session.get(WebhookEndpoint, company_id)
    if endpoint is None:
        # Only companies contracts announced (contracts.company.registered) receive anything here;
        # an endpoint for an id nobody registered would be an object for a company that does not exist.
        if uow.session.get(DirectoryEntry, f"company:{company_id}") is None:
            raise Unprocessable("No housing company with this id is registered.", field="company_id")
        secret = new_secret()
        endpoint = WebhookEndpoint(company_id=company_id, url=url, secret=secret, created_at=now, updated_at=now)
        uow.session.add(endpoint)
        uow.audit("webhook_endpoint", company_id, "registered")
        return endpoint, secret
    endpoint.url, endpoint.updated_at = url, now
    uow.audit("webhook_endpoint", company_id, "url_changed")
    return endpoint, None


def rotate_secret(uow: UnitOfWork, endpoint: WebhookEndpoint) -> str:
    """A new secret; the old one keeps signing (as a second signature) for the grace period so
    the company can switch its receiver without losing a message."""
    now = uow.now()
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = now + timedelta(seconds=rt.runtime().secret_grace_seconds)
    endpoint.secret = new_secret()
    # A company that rotates has its receiver on the standard headers: the former ones end here.
    endpoint.legacy_signature = False
    endpoint.updated_at = now
    uow.audit("webhook_endpoint", endpoint.company_id, "secret_rotated")
    return endpoint.secret


def inbox_recipients(principal) -> list[str]:
    """Whose inbox the caller reads: their company's, their own (caseworker), or their team mailbox."""
    refs: list[str] = []
    if principal.is_company and principal.company_id:
        refs.append(f"company:{principal.company_id}")
    if "caseworker" in principal.roles:
        refs.append(f"caseworker:{principal.sub}")
    for role, mailbox in (("staff", Role.STAFF), ("finance", Role.FINANCE), ("admin", Role.OPERATORS)):
        if role in principal.roles:
            refs.append(f"mailbox:{mailbox.value}")
    return refs

