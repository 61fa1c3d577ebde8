"""initial: kit tables (outbox, inbox, audit) and notifications

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

from servicekit.db.migrations import create_kit_tables, drop_kit_tables
from servicekit.db.types import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_kit_tables(op)
    op.create_table(
        "notifications",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("event_type", sa.String(120), nullable=False, index=True),
        sa.Column("recipient", sa.String(120), nullable=False, index=True),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("event_id", "recipient", "channel", name="uq_notification_once"),
    )


def downgrade() -> None:
    op.drop_table("notifications")
    drop_kit_tables(op)
