"""social data protection: messages know their household, contents encrypted at rest, erasure mark,
erased households, access log

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25

Existing rows get their household where the stored data names it (a message to the household, a
webhook body with `household_id`, or another message of the same event that has one); the rest stay
NULL and lose their contents by the retention period like every message. Subject, body, HTML and
webhook body are encrypted with the newest data key (the CLI configures the keyring first).
"""
import json

import sqlalchemy as sa
from alembic import op
from cryptography.fernet import InvalidToken

from servicekit.db.migrations import create_kit_tables
from servicekit.db.types import UTCDateTime
from servicekit.privacy import crypto

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ENCRYPTED = ("subject", "body", "html", "payload")
BATCH = 500

notifications = sa.table(
    "notifications",
    sa.column("id", sa.String), sa.column("event_id", sa.String), sa.column("recipient", sa.String),
    sa.column("household_id", sa.String), *(sa.column(c, sa.Text) for c in ENCRYPTED),
)


def _encrypted(value: str) -> bool:
    try:
        crypto.keyring().decrypt(value.encode("ascii"))
        return True
    except (InvalidToken, UnicodeEncodeError):
        return False


def _rewrite(transform) -> None:
    """Apply `transform(column, value)` to every stored text, batch by batch in key order."""
    bind = op.get_bind()
    last = None
    while True:
        stmt = sa.select(notifications.c.id, *(notifications.c[c] for c in ENCRYPTED)).order_by(notifications.c.id)
        if last is not None:
            stmt = stmt.where(notifications.c.id > last)
        rows = bind.execute(stmt.limit(BATCH)).all()
        for row in rows:
            values = {c: transform(c, getattr(row, c)) for c in ENCRYPTED if getattr(row, c) is not None}
            if values:
                bind.execute(sa.update(notifications).where(notifications.c.id == row.id).values(**values))
        if len(rows) < BATCH:
            return
        last = rows[-1].id


def _household_of_payload(payload: str | None) -> str | None:
    try:
        data = json.loads(payload or "").get("data") or {}
    except (ValueError, AttributeError):
        return None
    value = data.get("household_id") if isinstance(data, dict) else None
    return str(value)[:36] if value else None


def _backfill_households() -> None:
    bind = op.get_bind()
    n = notifications.c
    bind.execute(sa.update(notifications).where(n.recipient.like("household:%"))
                 .values(household_id=sa.func.substr(n.recipient, len("household:") + 1)))
    last = None
    while True:
        stmt = sa.select(n.id, n.payload).where(n.payload.is_not(None), n.household_id.is_(None)).order_by(n.id)
        if last is not None:
            stmt = stmt.where(n.id > last)
        rows = bind.execute(stmt.limit(BATCH)).all()
        for row in rows:
            household = _household_of_payload(row.payload)
            if household:
                bind.execute(sa.update(notifications).where(n.id == row.id).values(household_id=household))
        if len(rows) < BATCH:
            break
        last = rows[-1].id
    # An event names at most one household: its other messages (to staff, a caseworker) are about it too.
    sibling = sa.alias(notifications, "sibling")
    bind.execute(sa.update(notifications).where(n.household_id.is_(None)).values(
        household_id=sa.select(sa.func.max(sibling.c.household_id))
        .where(sibling.c.event_id == n.event_id, sibling.c.household_id.is_not(None)).scalar_subquery()))


def upgrade() -> None:
    create_kit_tables(op)  # adds the access log
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("household_id", sa.String(36), nullable=True))
        batch.add_column(sa.Column("erased_at", UTCDateTime, nullable=True))
        batch.alter_column("subject", type_=sa.Text, existing_type=sa.String(300), existing_nullable=False)
    op.create_index("ix_notifications_household_id", "notifications", ["household_id"])
    op.create_index("ix_notifications_unerased", "notifications", ["created_at"],
                    postgresql_where=sa.text("erased_at IS NULL"), sqlite_where=sa.text("erased_at IS NULL"))
    op.create_table(
        "erased_households",
        sa.Column("household_id", sa.String(36), primary_key=True),
        sa.Column("request_id", sa.String(36), nullable=True),
        sa.Column("erased_at", UTCDateTime, nullable=False),
    )
    _backfill_households()  # reads webhook bodies, so before they are encrypted
    ring = crypto.keyring()
    _rewrite(lambda _c, v: v if _encrypted(v) else ring.encrypt(v.encode("utf-8")).decode("ascii"))


def downgrade() -> None:
    ring = crypto.keyring()
    _rewrite(lambda c, v: ring.decrypt(v.encode("ascii")).decode("utf-8")[:300 if c == "subject" else None]
             if _encrypted(v) else v)
    op.drop_table("erased_households")
    op.drop_index("ix_notifications_unerased", table_name="notifications")
    op.drop_index("ix_notifications_household_id", table_name="notifications")
    with op.batch_alter_table("notifications") as batch:
        batch.alter_column("subject", type_=sa.String(300), existing_type=sa.Text, existing_nullable=False)
        batch.drop_column("erased_at")
        batch.drop_column("household_id")
