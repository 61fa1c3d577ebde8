"""support_cases.horizon_booked_until: opening a case books only its first visit

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25

A case opened by `matching.tenancy.agreed` gets its team and first visit in the event's
transaction; the `book-new-cases` job books the rest of the horizon and sets this date. Cases that
exist already had their whole horizon booked when they opened, so they get the day of migration.
The partial index keeps the job's look-up small however many cases are open.
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

WAITING = sa.text("horizon_booked_until IS NULL AND status = 'open'")


def upgrade() -> None:
    op.add_column("support_cases", sa.Column("horizon_booked_until", sa.Date, nullable=True))
    op.execute("UPDATE support_cases SET horizon_booked_until = CURRENT_DATE")
    op.create_index("ix_support_cases_horizon_waiting", "support_cases", ["opened_at"],
                    postgresql_where=WAITING, sqlite_where=WAITING)


def downgrade() -> None:
    op.drop_index("ix_support_cases_horizon_waiting", table_name="support_cases")
    # a plain DROP COLUMN (SQLite >= 3.35 too): a batch rebuild would trip the foreign keys to the table
    op.drop_column("support_cases", "horizon_booked_until")
