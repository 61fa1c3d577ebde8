"""An incoming event: learn what it tells the recipient directory, then write one notification per
recipient and channel.

Runs inside the consumer's unit of work, so the inbox entry and these rows commit together; the
unique (event, recipient, channel) constraint backs that up.
"""

from __future__ import annotations

import collections
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

import structlog
from sqlalchemy import insert, select

from servicekit.bus import Event as BusEvent
from servicekit.bus.consumer import PermanentFailure
from servicekit.db import UnitOfWork
from servicekit.db.memo import per_transaction

from notifications import erasure, metrics, runtime as rt
from notifications.domain.catalogue import Channel, Event, InvalidEvent
from notifications.domain.channels import channels_for
from notifications.domain.delivery import DeliveryStatus
from notifications.domain.households import household_of_event, household_of_message
from notifications.domain.planning import PlannedMessage, plan_messages, render_message, wanted_references
from notifications.domain.recipients import directory_facts
from notifications.domain.rendering import RenderedMessage, RenderError
from notifications.domain.webhooks import encode_body, webhook_payload
from notifications.models import ContactPerson, Notification, WebhookEndpoint, new_id
from notifications.usecases import directory

log = structlog.get_logger("notifications")

#: A notification row with every column named (None unless the channel fills it): the rows of one
#: event go out in one INSERT, which needs the same columns in each.
_BLANK_ROW: dict[str, Any] = dict.fromkeys(column.key for column in Notification.__table__.columns)

Row = dict[str, Any]


def record_event(uow: UnitOfWork, bus_event: BusEvent) -> list[Row]:
    """Learn what the event tells the directory, then write its notifications (none for a household
    erased meanwhile). An event that cannot be handled is dead-lettered (PermanentFailure)."""
    event, now = _event_of(bus_event), uow.now()
    lookups = _Lookups(uow)
    try:
        household = household_of_event(event.type, event.data, lookups.household_of_case,
                                       lookups.household_of_notification)
        if household and not erasure.may_write_for(uow.session, household):
            # Published before the household was erased, delivered after: its data must not come back.
            log.info("notification.skipped_for_erased_household", event_type=event.type)
            return []
        directory.learn(uow, directory_facts(event), now)
        planned = plan_messages(event, rt.runtime().table, lookups.contact_person_of, lookups.household_of_case)
    except InvalidEvent as error:
        raise PermanentFailure(str(error)) from None
    written = _notifications(uow, event, planned, household, lookups, now)
    _insert(uow, written)
    return written


def _event_of(bus_event: BusEvent) -> Event:
    return Event(id=bus_event.id, type=bus_event.type, occurred_at=bus_event.occurred_at, data=bus_event.data,
                 version=bus_event.version, source=bus_event.source, correlation_id=bus_event.correlation_id)


class _Lookups:
    """What planning asks the directory, answered in this unit of work. Remembers the contact
    person rows it read: the household's case comes from them."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.session = uow.session
        self.contact_rows: dict[str, ContactPerson] = {}

    def household_of_case(self, case_id: str) -> str | None:
        return self.session.scalars(select(ContactPerson.household_id).where(ContactPerson.case_id == case_id)).first()

    def household_of_notification(self, notification_id: str) -> str | None:
        return self.session.scalar(select(Notification.household_id).where(Notification.id == notification_id))

    def contact_person_of(self, household_id: str) -> str | None:
        row = self.session.get(ContactPerson, household_id)
        if row is not None:
            self.contact_rows[household_id] = row
        return row.caseworker_id if row else None

    def case_of_household(self, household_id) -> str | None:
        row = self.contact_rows.get(str(household_id))
        return row.case_id if row else None


@dataclass(frozen=True)
class _Addressed:
    """One planned message, rendered for its recipient."""

    event: Event
    plan: PlannedMessage
    name: str | None
    email: str | None
    message: RenderedMessage
    household: str | None
    now: datetime


def _notifications(uow: UnitOfWork, event: Event, planned: list[PlannedMessage], household: str | None,
                   lookups: _Lookups, now: datetime) -> list[Row]:
    """The rows of every planned message on each of its recipient's channels."""
    wanted = wanted_references([p.route for p in planned])
    named = directory.named_refs(event.data, wanted)
    found = directory.entries(uow, {str(p.recipient) for p in planned} | set(named.values()))
    references = directory.references(event.data, named, found, wanted,
                                      lookups.case_of_household(event.data.get("household_id")))
    written: list[Row] = []
    for plan in planned:
        name, email = directory.contact(found, plan.recipient)
        addressed = _Addressed(event, plan, name, email, _render(plan, event, name, references), household, now)
        has_webhook = _may_webhook(plan) and _has_webhook(uow, plan.recipient.id)
        for channel in channels_for(plan.route, has_email=bool(email), has_webhook=has_webhook):
            written.append(_notification(addressed, channel))
    return written


def _render(plan: PlannedMessage, event: Event, name: str | None, references: dict[str, str]) -> RenderedMessage:
    try:
        return render_message(rt.runtime().renderer, plan.route, event, name, references, rt.link_base)
    except RenderError as error:
        # The event lacks what its template needs: retrying will not help, dead-letter it so
        # operators see it, rather than send half a message.
        raise PermanentFailure(str(error)) from None


def _may_webhook(plan: PlannedMessage) -> bool:
    return plan.route.webhook and plan.recipient.kind == "company"


_WEBHOOKS = "notifications.webhook_endpoints"


def _has_webhook(uow: UnitOfWork, company_id: str) -> bool:
    """Whether the company registered an endpoint, asked once per transaction (a consumer batch
    names the same few companies again and again). Endpoints change only through the API, in
    transactions of their own: a batch sees one registered meanwhile in its next transaction."""
    known = per_transaction(uow.session, _WEBHOOKS, dict)
    if company_id not in known:
        known[company_id] = uow.session.get(WebhookEndpoint, company_id) is not None
    return known[company_id]


def _notification(addressed: _Addressed, channel: Channel) -> Row:
    event, plan, name = addressed.event, addressed.plan, addressed.name
    row = dict(
        _BLANK_ROW, id=new_id(), event_id=event.id, event_type=event.type, recipient=str(plan.recipient),
        household_id=household_of_message(plan.recipient, addressed.household),
        recipient_name=name[:200] if name else None, role=plan.route.role.value, channel=channel.value,
        subject=addressed.message.subject, body=addressed.message.text, created_at=addressed.now,
        correlation_id=event.correlation_id, fallback=plan.fallback, attempts=0,
    )
    _ON_CHANNEL[channel](row, addressed)
    return row


def _on_inbox(row: Row, addressed: _Addressed) -> None:
    """An inbox message is delivered as it is written."""
    row.update(state=DeliveryStatus.DELIVERED.value, delivered_at=addressed.now)


def _on_email(row: Row, addressed: _Addressed) -> None:
    """An email waits for the delivery job, to the address the directory knows now."""
    row.update(state=DeliveryStatus.PENDING.value, next_attempt_at=addressed.now, destination=addressed.email,
               html=addressed.message.html)


def _on_webhook(row: Row, addressed: _Addressed) -> None:
    """A webhook waits for the delivery job with its body: the route's whitelisted event data."""
    event = addressed.event
    row.update(state=DeliveryStatus.PENDING.value, next_attempt_at=addressed.now, payload=encode_body(webhook_payload(
        delivery_id=row["id"], event_id=event.id, event_type=event.type, occurred_at=event.occurred_at,
        data=addressed.plan.route.visible_data(event.data),
    )).decode("utf-8"))


#: Channel -> what its row carries beyond the message itself.
_ON_CHANNEL: dict[Channel, Callable[[Row, _Addressed], None]] = {
    Channel.INBOX: _on_inbox,
    Channel.EMAIL: _on_email,
    Channel.WEBHOOK: _on_webhook,
}


def _insert(uow: UnitOfWork, written: list[Row]) -> None:
    """All of the event's rows in one INSERT, every column named in every row: added to the session
    as objects one by one, the ORM sent one statement per set of filled columns (an inbox, an email
    and a webhook row differ), two or three per event, and building the objects cost more CPU than
    the rows' texts."""
    uow.session.flush()
    if written:
        uow.session.execute(insert(Notification.__table__), written)
    for channel, count in collections.Counter(row["channel"] for row in written).items():
        metrics.CREATED.labels(channel).inc(count)
