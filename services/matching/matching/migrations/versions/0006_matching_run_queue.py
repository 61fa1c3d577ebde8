"""matching runs are queued and executed by the worker, one at a time

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03

`POST /matching-runs` used to run the assignment inside the web request (up to its 8 s budget), and
staff could start any number at once. A run is now a row `pending` until the worker has executed it
(`completed` or `failed`). `active_slot` is 1 while a run is pending and NULL afterwards; its unique
constraint lets the database itself refuse a second pending run, whichever web process or replica
inserts it (NULLs never collide, on PostgreSQL and SQLite alike). Existing runs are `completed`.
"""
import sqlalchemy as sa
from alembic import op

from servicekit.db.types import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("matching_runs") as t:
        t.add_column(sa.Column("status", sa.String(20), nullable=False, server_default="completed"))
        t.add_column(sa.Column("active_slot", sa.Integer, nullable=True))
        t.add_column(sa.Column("finished_at", UTCDateTime, nullable=True))
        t.add_column(sa.Column("error", sa.String(200), nullable=True))
        t.create_unique_constraint("uq_matching_runs_active_slot", ["active_slot"])


def downgrade() -> None:
    with op.batch_alter_table("matching_runs") as t:
        t.drop_constraint("uq_matching_runs_active_slot", type_="unique")
        for column in ("error", "finished_at", "active_slot", "status"):
            t.drop_column(column)
