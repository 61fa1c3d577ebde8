"""the housing companies contracts registered (contracts.company.registered): only they offer flats

Companies that already offered flats were registered when they did, so their ids are carried over
(their registration event may also arrive again; it changes nothing then).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

from servicekit.db.types import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "registered_companies",
        sa.Column("company_id", sa.String(36), primary_key=True),
        sa.Column("registered_at", UTCDateTime, nullable=False),
    )
    op.execute("INSERT INTO registered_companies (company_id, registered_at) "
               "SELECT company_id, MIN(offered_at) FROM flats GROUP BY company_id")


def downgrade() -> None:
    op.drop_table("registered_companies")
