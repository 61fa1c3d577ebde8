"""The tables every service database has: outbox, inbox and audit trail.

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
