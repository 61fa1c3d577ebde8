"""The tables every service database has: outbox, inbox, handling attempts and audit trail.

They live in their own MetaData (not a service's declarative Base) because the kit reads and writes
them with Core statements; each service creates them in its first Alembic revision via
`servicekit.db.migrations.create_kit_tables`.
"""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, MetaData, String, Table, Text, text

from servicekit.db.types import UTCDateTime

kit_metadata = MetaData()

outbox = Table(
    "outbox",
    kit_metadata,
    Column("id", String(36), primary_key=True),  # = the event id = AMQP message_id, stable on re-publish
    Column("type", String(120), nullable=False),
    Column("correlation_id", String(64), nullable=False),
    Column("body", Text, nullable=False),  # the full JSON envelope, byte-identical on every publish
    Column("created_at", UTCDateTime, nullable=False),
    Column("published_at", UTCDateTime, nullable=True),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Index(
        "ix_outbox_pending",
        "created_at",
        postgresql_where=text("published_at IS NULL"),
        sqlite_where=text("published_at IS NULL"),
    ),
)

inbox = Table(
    "inbox",
    kit_metadata,
    Column("consumer", String(80), primary_key=True),
    Column("message_id", String(64), primary_key=True),
    Column("event_type", String(120), nullable=False),
    Column("handled_at", UTCDateTime, nullable=False),
)

# Handling attempts of messages that came back (redelivered) or failed: what lets the consumer tell a
# message that kills its worker every time from one that was merely prefetched when the worker died
# (servicekit.bus.consumer). Rows exist only while a message is in trouble; handling clears them.
handling_attempts = Table(
    "handling_attempts",
    kit_metadata,
    Column("consumer", String(80), primary_key=True),
    Column("message_id", String(64), primary_key=True),
    Column("attempts", Integer, nullable=False),
    Column("delivery", String(80), nullable=False),  # the delivery that counted last: one count per delivery
    Column("last_error", String(200), nullable=True),  # an exception's class name, never its text
    Column("updated_at", UTCDateTime, nullable=False),
)

audit_log = Table(
    "audit_log",
    kit_metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(120), nullable=False),
    Column("actor_role", String(40), nullable=False),
    Column("entity", String(60), nullable=False),
    Column("entity_id", String(64), nullable=False),
    Column("action", String(60), nullable=False),
    Column("from_state", String(40), nullable=True),
    Column("to_state", String(40), nullable=True),
    Column("detail", JSON, nullable=True),
    Column("correlation_id", String(64), nullable=True),
    Index("ix_audit_entity", "entity", "entity_id"),
)

# Who read which household's personal data, when and for what purpose (see servicekit.privacy.access).
access_log = Table(
    "access_log",
    kit_metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(120), nullable=False),
    Column("actor_role", String(40), nullable=False),
    Column("company_id", String(36), nullable=True),
    Column("household_id", String(36), nullable=False),
    Column("purpose", String(60), nullable=False),
    Column("operation", String(200), nullable=False),  # "GET /api/v1/households/<id>": the route, not the URL
    Index("ix_access_household", "household_id", "at"),
    Index("ix_access_actor", "actor", "at"),
)
