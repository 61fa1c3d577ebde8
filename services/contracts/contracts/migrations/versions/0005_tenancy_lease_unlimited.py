"""tenancies.lease_unlimited: whether the lease is unlimited, as matching reported it

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03

The contract document said "unbefristet" whatever the tenancy was. Matching now reports it with
`matching.tenancy.agreed` (`lease_unlimited`); tenancies recorded before stay NULL, which the document
prints as "not reported" instead of guessing.
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tenancies") as batch:
        batch.add_column(sa.Column("lease_unlimited", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tenancies") as batch:
        batch.drop_column("lease_unlimited")
