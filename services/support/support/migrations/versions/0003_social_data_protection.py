"""social data protection: free text about households encrypted at rest, erasure marker, access log

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25

- appointments.cancel_reason, appointments.outcome_note and support_cases.close_reason become Text
  holding Fernet tokens (a 500-character text grows to about 2,700 characters as a token); the
  plain values already stored are encrypted here with the newest data key.
- support_cases.erased_at marks a case whose household data was erased.
- the kit's access_log table (created only if missing).

SQLite keeps the columns as they are: VARCHAR and TEXT are the same there, and a batch rebuild of
appointments would drop the no-overlap triggers of 0002.
"""
import sqlalchemy as sa
from alembic import op

from servicekit.db.migrations import create_kit_tables
from servicekit.db.types import UTCDateTime
from servicekit.privacy import crypto

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ENCRYPTED = (("appointments", "cancel_reason"), ("appointments", "outcome_note"), ("support_cases", "close_reason"))


def _recode(table_name: str, column_name: str, convert) -> None:
    bind = op.get_bind()
    tbl = sa.table(table_name, sa.column("id", sa.String), sa.column(column_name, sa.Text))
    rows = bind.execute(sa.select(tbl.c.id, tbl.c[column_name]).where(tbl.c[column_name].is_not(None))).all()
    for key, value in rows:
        bind.execute(sa.update(tbl).where(tbl.c.id == key).values({column_name: convert(value)}))


def upgrade() -> None:
    create_kit_tables(op)
    postgres = op.get_bind().dialect.name == "postgresql"
    ring = crypto.keyring()
    for table_name, column_name in ENCRYPTED:
        if postgres:
            op.alter_column(table_name, column_name, type_=sa.Text, existing_nullable=True)
        _recode(table_name, column_name, lambda v: ring.encrypt(v.encode("utf-8")).decode("ascii"))
    op.add_column("support_cases", sa.Column("erased_at", UTCDateTime, nullable=True))


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    ring = crypto.keyring()
    # a plain DROP COLUMN (SQLite >= 3.35 too): a batch rebuild would trip the foreign keys to the table
    op.drop_column("support_cases", "erased_at")
    for table_name, column_name in ENCRYPTED:
        # back to plain text; a note longer than the old limit is cut rather than lost entirely
        _recode(table_name, column_name, lambda v: ring.decrypt(v.encode("ascii")).decode("utf-8")[:500])
        if postgres:
            op.alter_column(table_name, column_name, type_=sa.String(500), existing_nullable=True)
