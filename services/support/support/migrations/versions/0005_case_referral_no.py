"""support_cases.referral_no: the household's referral number, the one reference every service shows

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03

Taken from `matching.tenancy.agreed` (`household_reference`) when a case opens. Cases opened before
have none: the event that opened them is not kept, so they show null until erased like the rest.
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("support_cases", sa.Column("referral_no", sa.String(64), nullable=True))
    op.create_index("ix_support_cases_referral_no", "support_cases", ["referral_no"])


def downgrade() -> None:
    op.drop_index("ix_support_cases_referral_no", table_name="support_cases")
    # a plain DROP COLUMN (SQLite >= 3.35 too): a batch rebuild would trip the foreign keys to the table
    op.drop_column("support_cases", "referral_no")
