"""initial: kit tables (outbox, inbox, audit) and households

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
        "households",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("referral_no", sa.String(40), nullable=False, unique=True),
        sa.Column("adults", sa.Integer, nullable=False),
        sa.Column("children", sa.Integer, nullable=False),
        sa.Column("urgency", sa.String(40), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(254)),
        sa.Column("phone", sa.String(40)),
        sa.Column("referred_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("households")
    drop_kit_tables(op)
