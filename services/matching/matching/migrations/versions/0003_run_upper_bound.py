"""matching runs record the proven upper bound of the total score

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("matching_runs") as t:
        t.add_column(sa.Column("score_upper_bound", sa.Float))


def downgrade() -> None:
    with op.batch_alter_table("matching_runs") as t:
        t.drop_column("score_upper_bound")
