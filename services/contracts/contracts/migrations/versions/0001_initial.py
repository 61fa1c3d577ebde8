"""initial: kit tables (outbox, inbox, audit), companies and tenancies

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
        "companies",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("registered_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "tenancies",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("proposal_id", sa.String(36), nullable=False, unique=True),
        sa.Column("household_id", sa.String(36), nullable=False, index=True),
        sa.Column("company_id", sa.String(36), nullable=False, index=True),
        sa.Column("flat_id", sa.String(36), nullable=False),
        sa.Column("lease_start", sa.Date, nullable=False),
        sa.Column("cold_rent_cents", sa.Integer, nullable=False),
        sa.Column("service_charges_cents", sa.Integer, nullable=False),
        sa.Column("recorded_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("tenancies")
    op.drop_table("companies")
    drop_kit_tables(op)
