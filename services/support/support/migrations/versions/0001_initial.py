"""initial: kit tables (outbox, inbox, audit), caseworkers and support cases

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
        "caseworkers",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(254), nullable=False, unique=True),
        sa.Column("registered_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "support_cases",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("proposal_id", sa.String(36), nullable=False, unique=True),
        sa.Column("household_id", sa.String(36), nullable=False, index=True),
        sa.Column("company_id", sa.String(36), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("opened_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("support_cases")
    op.drop_table("caseworkers")
    drop_kit_tables(op)
