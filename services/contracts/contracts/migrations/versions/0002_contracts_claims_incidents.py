"""guarantee contracts, number counter, claims with documents, incidents, track-record inputs

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

from servicekit.db.types import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("companies") as batch:
        batch.add_column(sa.Column("street", sa.String(200)))
        batch.add_column(sa.Column("postal_code", sa.String(10)))
        batch.add_column(sa.Column("city", sa.String(100)))
        batch.add_column(sa.Column("phone", sa.String(40)))
        batch.add_column(sa.Column("quota_flats_per_year", sa.Integer))
    with op.batch_alter_table("tenancies") as batch:
        batch.add_column(sa.Column("heating_cents", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("street", sa.String(200)))
        batch.add_column(sa.Column("postal_code", sa.String(10)))
        batch.add_column(sa.Column("city", sa.String(100)))
        batch.add_column(sa.Column("district", sa.String(100)))
        batch.add_column(sa.Column("household_name", sa.String(200)))
        batch.add_column(sa.Column("household_email", sa.String(254)))
        batch.add_column(sa.Column("household_phone", sa.String(40)))
        batch.add_column(sa.Column("household_size", sa.Integer))
        batch.add_column(sa.Column("household_reference", sa.String(64)))
        batch.create_index("ix_tenancies_household_reference", ["household_reference"])

    op.create_table(
        "contract_counters",
        sa.Column("year", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("last_value", sa.Integer, nullable=False),
    )
    op.create_table(
        "contracts",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("contract_no", sa.String(20), nullable=False, unique=True),
        sa.Column("tenancy_id", sa.String(36), sa.ForeignKey("tenancies.id"), nullable=False, unique=True),
        sa.Column("company_id", sa.String(36), nullable=False, index=True),
        sa.Column("household_id", sa.String(36), nullable=False, index=True),
        sa.Column("household_reference", sa.String(64), index=True),
        sa.Column("term_start", sa.Date, nullable=False),
        sa.Column("term_end", sa.Date, nullable=False, index=True),
        sa.Column("coverage", sa.JSON, nullable=False),
        sa.Column("config_version", sa.String(40), nullable=False),
        sa.Column("monthly_covered_rent_cents", sa.Integer, nullable=False),
        sa.Column("state", sa.String(20), nullable=False, index=True),
        sa.Column("city_signed_at", UTCDateTime),
        sa.Column("city_signed_by", sa.String(120)),
        sa.Column("company_signed_at", UTCDateTime),
        sa.Column("company_signed_by", sa.String(120)),
        sa.Column("activated_at", UTCDateTime),
        sa.Column("notices_sent", sa.JSON, nullable=False),
        sa.Column("ended_on", sa.Date),
        sa.Column("ended_at", UTCDateTime),
        sa.Column("termination_reason", sa.String(20)),
        sa.Column("termination_note", sa.Text),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_contracts_company_state", "contracts", ["company_id", "state"])
    op.create_table(
        "claims",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("contract_id", sa.String(36), sa.ForeignKey("contracts.id"), nullable=False, index=True),
        sa.Column("company_id", sa.String(36), nullable=False, index=True),
        sa.Column("household_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("amount_cents", sa.BigInteger, nullable=False),
        sa.Column("period_first", sa.String(7)),
        sa.Column("period_last", sa.String(7)),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("status", sa.String(20), nullable=False, index=True),
        sa.Column("approved_cents", sa.BigInteger),
        sa.Column("decision_reason", sa.Text),
        sa.Column("submitted_at", UTCDateTime, nullable=False),
        sa.Column("first_submitted_at", UTCDateTime, nullable=False),
        sa.Column("decided_at", UTCDateTime),
        sa.Column("decided_by", sa.String(120)),
        sa.Column("paid_at", UTCDateTime),
        sa.Column("paid_by", sa.String(120)),
        sa.Column("payout_reference", sa.String(120)),
    )
    op.create_index("ix_claims_company_status", "claims", ["company_id", "status"])
    op.create_table(
        "claim_documents",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("claim_id", sa.String(36), sa.ForeignKey("claims.id"), nullable=False, index=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("content_type", sa.String(60), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("uploaded_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "incidents",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("contract_id", sa.String(36), sa.ForeignKey("contracts.id"), nullable=False, index=True),
        sa.Column("company_id", sa.String(36), nullable=False, index=True),
        sa.Column("household_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("severity", sa.String(10), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("reported_at", UTCDateTime, nullable=False, index=True),
        sa.Column("reported_by", sa.String(120), nullable=False),
    )
    op.create_table(
        "flat_offers",
        sa.Column("flat_id", sa.String(36), primary_key=True),
        sa.Column("company_id", sa.String(36), nullable=False, index=True),
        sa.Column("offered_at", UTCDateTime, nullable=False),
        sa.Column("withdrawn_at", UTCDateTime),
    )
    op.create_table(
        "proposal_records",
        sa.Column("proposal_id", sa.String(36), primary_key=True),
        sa.Column("company_id", sa.String(36), index=True),
        sa.Column("created_at", UTCDateTime),
        sa.Column("company_response", sa.String(20)),
        sa.Column("household_response", sa.String(20)),
        sa.Column("expired_at", UTCDateTime),
    )


def downgrade() -> None:
    for table in ("proposal_records", "flat_offers", "incidents", "claim_documents", "claims", "contracts",
                  "contract_counters"):
        op.drop_table(table)
    with op.batch_alter_table("tenancies") as batch:
        batch.drop_index("ix_tenancies_household_reference")
        for column in ("household_reference", "household_size", "household_phone", "household_email",
                       "household_name", "district", "city", "postal_code", "street", "heating_cents"):
            batch.drop_column(column)
    with op.batch_alter_table("companies") as batch:
        for column in ("quota_flats_per_year", "phone", "city", "postal_code", "street"):
            batch.drop_column(column)
