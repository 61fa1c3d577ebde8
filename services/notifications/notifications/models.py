"""Notifications' tables (SQLAlchemy 2 typed models). Schema changes go through Alembic migrations."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from servicekit.db import UTCDateTime
from servicekit.privacy import CONTACT, FREE_TEXT, IDENTIFYING, EncryptedText, not_personal, personal

from notifications.domain.delivery import DeliveryStatus


class Base(DeclarativeBase):
    pass


# Rendered texts can carry any whitelisted event field: names, addresses, rents, claim kinds,
# appointment reasons. They are encrypted at rest and emptied on erasure or after retention.
_RENDERED = "Nachrichteninhalt"


def new_id() -> str:
    return str(uuid.uuid4())


class Notification(Base):
    """One message for one recipient on one channel, caused by one event — never two.

    Inbox rows are delivered when written; email and webhook rows wait in ``pending`` until the
    delivery job's attempt succeeds (``delivered``) or the attempts are used up (``failed``).
    """

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("event_id", "recipient", "channel", name="uq_notification_once"),
        Index("ix_notifications_due", "state", "next_attempt_at"),
        # The retention job looks for old messages whose contents are still there.
        Index("ix_notifications_unerased", "created_at", postgresql_where=text("erased_at IS NULL"),
              sqlite_where=text("erased_at IS NULL")),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    event_id: Mapped[str] = mapped_column(String(36))
    event_type: Mapped[str] = mapped_column(String(120), index=True)
    #: ``household:<id>``, ``company:<id>``, ...: a reference, never an address.
    recipient: Mapped[str] = mapped_column(
        String(120), index=True,
        info=not_personal("a directory reference such as household:<uuid>, kept for statistics"))
    #: The household the message is to or about (from the event), so erasure and the access
    #: export find every message about it, including those to companies and caseworkers.
    household_id: Mapped[str | None] = mapped_column(String(36), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(EncryptedText, info=personal(FREE_TEXT, label="Betreff"))
    body: Mapped[str] = mapped_column(EncryptedText, info=personal(FREE_TEXT, label=f"{_RENDERED} (Text)"))
    state: Mapped[str] = mapped_column(String(20), default=DeliveryStatus.DELIVERED.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    role: Mapped[str | None] = mapped_column(String(40))
    html: Mapped[str | None] = mapped_column(EncryptedText, info=personal(FREE_TEXT, label=f"{_RENDERED} (HTML)"))
    #: Webhook JSON body (signed afresh at every attempt).
    payload: Mapped[str | None] = mapped_column(
        EncryptedText, info=personal(FREE_TEXT, label="Übermittelte Daten (Webhook)"))
    #: Email address used for this message (a later directory change does not redirect it).
    destination: Mapped[str | None] = mapped_column(String(320), info=personal(CONTACT, label="E-Mail-Adresse"))
    recipient_name: Mapped[str | None] = mapped_column(
        String(200), info=personal(IDENTIFYING, label="Name in der Anrede"))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: A short reason ("smtp 550", "timeout"); never the server's text, which can name addresses.
    last_error: Mapped[str | None] = mapped_column(String(200))
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    correlation_id: Mapped[str | None] = mapped_column(String(64))
    #: The staff mailbox stands in for an unknown contact person.
    fallback: Mapped[bool] = mapped_column(Boolean, default=False)
    #: When the contents were erased (on request or by retention); ids, type, channel, state,
    #: times and attempts stay for the delivery statistics.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    history: Mapped[list["DeliveryAttempt"]] = relationship(
        back_populates="notification", order_by="DeliveryAttempt.number", lazy="raise_on_sql"
    )


class DeliveryAttempt(Base):
    """Every attempt to deliver an email or webhook, with its outcome."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    notification_id: Mapped[str] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    ok: Mapped[bool] = mapped_column(Boolean)
    #: A short reason, as ``Notification.last_error``.
    error: Mapped[str | None] = mapped_column(String(200))
    duration_ms: Mapped[int] = mapped_column(Integer)

    notification: Mapped[Notification] = relationship(back_populates="history")


class DirectoryEntry(Base):
    """Name and reachability of a recipient, as the latest event told it."""

    __tablename__ = "directory_entries"

    ref: Mapped[str] = mapped_column(String(120), primary_key=True)  # e.g. company:<uuid>
    kind: Mapped[str] = mapped_column(String(20))
    # Households' and caseworkers' own details (companies' and mailboxes' too, which is harmless).
    name: Mapped[str | None] = mapped_column(String(200), info=personal(IDENTIFYING, label="Name"))
    email: Mapped[str | None] = mapped_column(String(320), info=personal(CONTACT, label="E-Mail-Adresse"))
    phone: Mapped[str | None] = mapped_column(String(60), info=personal(CONTACT, label="Telefonnummer"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ContactPerson(Base):
    """The fixed contact person of a household (from support.case.opened / reassigned)."""

    __tablename__ = "contact_persons"

    household_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    caseworker_id: Mapped[str] = mapped_column(String(36))
    case_id: Mapped[str] = mapped_column(String(36))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WebhookEndpoint(Base):
    """A company's registered HTTPS endpoint and its signing secret(s)."""

    __tablename__ = "webhook_endpoints"

    company_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    url: Mapped[str] = mapped_column(String(2048), info=not_personal("a company's system endpoint"))
    secret: Mapped[str] = mapped_column(String(100))
    #: Still signed with during the grace period after a rotation.
    previous_secret: Mapped[str | None] = mapped_column(String(100))
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Registered before Standard Webhooks: deliveries also carry the former X-WohnenPlus-*
    #: signature headers, until the company rotates its secret.
    legacy_signature: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ErasedHousehold(Base):
    """A household whose data was erased here. Events about it that were already on their way
    (published before the erasure, delivered after) must not bring its data back."""

    __tablename__ = "erased_households"

    household_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    request_id: Mapped[str | None] = mapped_column(String(36))
    erased_at: Mapped[datetime] = mapped_column(UTCDateTime)
