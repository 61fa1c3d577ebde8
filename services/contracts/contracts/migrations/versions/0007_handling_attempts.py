"""handling_attempts: the consumer's count of real handling attempts per redelivered message

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03

A message is dead-lettered after BUS_MAX_ATTEMPTS handler starts that never finished, counted here,
instead of after a number of broker deliveries (a killed worker returns all its prefetched messages).
"""
import sqlalchemy as sa
from alembic import op

from servicekit.db.types import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # created here by name, not through create_kit_tables: a later kit table must get its own revision
    bind = op.get_bind()
    if sa.inspect(bind).has_table("handling_attempts"):  # a database created from 0001 with today's kit
        return
    op.create_table(
        "handling_attempts",
        sa.Column("consumer", sa.String(80), primary_key=True),
        sa.Column("message_id", sa.String(64), primary_key=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("delivery", sa.String(80), nullable=False),
        sa.Column("last_error", sa.String(200), nullable=True),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("handling_attempts")
