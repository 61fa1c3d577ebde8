"""flats, matching runs, proposals; household needs, preferences and rent-limit override

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
    with op.batch_alter_table("households") as t:
        for name in ("needs_barrier_free", "needs_wheelchair", "needs_ground_floor_or_lift", "has_pets", "needs_review"):
            t.add_column(sa.Column(name, sa.Boolean, nullable=False, server_default=sa.false()))
        t.add_column(sa.Column("preferred_districts", sa.JSON, nullable=False, server_default="[]"))
        t.add_column(sa.Column("excluded_districts", sa.JSON, nullable=False, server_default="[]"))
        t.add_column(sa.Column("rent_limit_override_cents", sa.Integer))
        t.add_column(sa.Column("rent_limit_override_reason", sa.Text))
        t.add_column(sa.Column("counted_declines", sa.Integer, nullable=False, server_default="0"))
    op.create_index("ix_households_status", "households", ["status"])
    op.create_table(
        "flats",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("company_id", sa.String(36), nullable=False),
        sa.Column("unit_ref", sa.String(80)),
        sa.Column("street", sa.String(200), nullable=False),
        sa.Column("postal_code", sa.String(5), nullable=False),
        sa.Column("city", sa.String(80), nullable=False),
        sa.Column("district", sa.String(40), nullable=False),
        sa.Column("rooms", sa.Float, nullable=False),
        sa.Column("area_m2", sa.Float, nullable=False),
        sa.Column("floor", sa.Integer, nullable=False),
        sa.Column("lift", sa.Boolean, nullable=False),
        sa.Column("barrier_free", sa.Boolean, nullable=False),
        sa.Column("wheelchair_accessible", sa.Boolean, nullable=False),
        sa.Column("cold_rent_cents", sa.Integer, nullable=False),
        sa.Column("service_charges_cents", sa.Integer, nullable=False),
        sa.Column("heating_cents", sa.Integer, nullable=False),
        sa.Column("available_from", sa.Date, nullable=False),
        sa.Column("pets_allowed", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("offered_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_flats_company_status", "flats", ["company_id", "status"])
    op.create_table(
        "matching_runs",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("started_at", UTCDateTime, nullable=False),
        sa.Column("started_by", sa.String(200), nullable=False),
        sa.Column("households_considered", sa.Integer, nullable=False),
        sa.Column("flats_considered", sa.Integer, nullable=False),
        sa.Column("eligible_pairs", sa.Integer, nullable=False),
        sa.Column("proposals_created", sa.Integer, nullable=False),
        sa.Column("total_score", sa.Float, nullable=False),
        sa.Column("duration_ms", sa.Integer, nullable=False),
        sa.Column("certified_optimal", sa.Boolean, nullable=False),
    )
    op.create_table(
        "proposals",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("run_id", sa.String(36), sa.ForeignKey("matching_runs.id")),
        sa.Column("flat_id", sa.String(36), sa.ForeignKey("flats.id"), nullable=False),
        sa.Column("household_id", sa.String(36), sa.ForeignKey("households.id"), nullable=False),
        sa.Column("company_id", sa.String(36), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("company_answer", sa.String(20)),
        sa.Column("household_answer", sa.String(20)),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("score_breakdown", sa.JSON, nullable=False),
        sa.Column("rules_passed", sa.JSON, nullable=False),
        sa.Column("snapshot", sa.JSON, nullable=False),
        sa.Column("respond_by", sa.Date, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("decided_at", UTCDateTime),
        sa.Column("decline_party", sa.String(20)),
        sa.Column("decline_reason", sa.String(60)),
        sa.Column("decline_text", sa.Text),
        sa.Column("lease", sa.JSON),
        sa.UniqueConstraint("household_id", "flat_id", name="uq_proposals_household_flat"),
    )
    op.create_index("ix_proposals_company_status", "proposals", ["company_id", "status"])


def downgrade() -> None:
    op.drop_table("proposals")
    op.drop_table("matching_runs")
    op.drop_index("ix_flats_company_status", table_name="flats")
    op.drop_table("flats")
    op.drop_index("ix_households_status", table_name="households")
    with op.batch_alter_table("households") as t:
        for name in ("needs_barrier_free", "needs_wheelchair", "needs_ground_floor_or_lift", "has_pets", "needs_review",
                     "preferred_districts", "excluded_districts", "rent_limit_override_cents",
                     "rent_limit_override_reason", "counted_declines"):
            t.drop_column(name)
