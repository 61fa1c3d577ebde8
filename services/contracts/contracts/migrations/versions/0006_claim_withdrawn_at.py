"""claims.withdrawn_at: when a claim was withdrawn, for the retention of its evidence

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03

A withdrawn claim's documents are needed for no decision and no payment: the retention job empties
them `RETENTION_WITHDRAWN_EVIDENCE_DAYS` after the withdrawal. Claims withdrawn before this column
existed take the time of their `withdrawn` audit entry, else their last submission.
"""
import sqlalchemy as sa
from alembic import op

from servicekit.db.types import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("claims") as batch:
        batch.add_column(sa.Column("withdrawn_at", UTCDateTime, nullable=True))
    op.execute(
        "UPDATE claims SET withdrawn_at = COALESCE("
        "(SELECT MAX(a.at) FROM audit_log a WHERE a.entity = 'claim' AND a.entity_id = claims.id"
        " AND a.action = 'withdrawn'), submitted_at) WHERE status = 'withdrawn'")


def downgrade() -> None:
    with op.batch_alter_table("claims") as batch:
        batch.drop_column("withdrawn_at")
