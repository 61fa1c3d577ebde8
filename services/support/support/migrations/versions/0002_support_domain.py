"""support domain: caseworker capacity and absences, case details, contracts, appointments with a
database-enforced no-overlap rule, crises

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

No overlap per caseworker is enforced by the database itself:
- PostgreSQL: an exclusion constraint over (caseworker_id =, tstzrange(starts_at, ends_at) &&)
  for every appointment that is not cancelled; needs the btree_gist extension (part of
  PostgreSQL's contrib; creating it needs a role allowed to CREATE EXTENSION — in production
  have the DBA create it once).
- SQLite (the embedded development default): BEFORE INSERT / BEFORE UPDATE triggers that abort
  on an overlapping non-cancelled appointment. SQLite runs one writer at a time (BEGIN IMMEDIATE),
  so check-and-insert cannot interleave; UTC timestamps are stored in one fixed text format, so
  comparing them as text is comparing instants.
"""
import sqlalchemy as sa
from alembic import op

from servicekit.db.types import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_OVERLAP_SQLITE = """
CREATE TRIGGER appointments_no_overlap_{when}
BEFORE {event} ON appointments
WHEN NEW.status <> 'cancelled'
BEGIN
    SELECT RAISE(ABORT, 'appointments_no_overlap: the caseworker already has an appointment at this time')
    WHERE EXISTS (
        SELECT 1 FROM appointments a
        WHERE a.caseworker_id = NEW.caseworker_id AND a.id <> NEW.id AND a.status <> 'cancelled'
          AND a.starts_at < NEW.ends_at AND NEW.starts_at < a.ends_at
    );
END
"""


def upgrade() -> None:
    with op.batch_alter_table("caseworkers") as batch:
        batch.add_column(sa.Column("phone", sa.String(40)))
        batch.add_column(sa.Column("roles", sa.JSON, nullable=False, server_default='["contact_person", "social_worker"]'))
        batch.add_column(sa.Column("max_cases", sa.Integer, nullable=False, server_default="30"))
        batch.add_column(sa.Column("weekly_minutes", sa.Integer, nullable=False, server_default="1200"))
        batch.add_column(sa.Column("working_weekdays", sa.JSON, nullable=False, server_default="[0, 1, 2, 3, 4]"))
        batch.add_column(sa.Column("districts", sa.JSON, nullable=False, server_default="[]"))
        batch.add_column(sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()))
        batch.add_column(sa.Column("subject", sa.String(120)))
        batch.add_column(sa.Column("feed_token_hash", sa.String(64)))
        batch.create_unique_constraint("uq_caseworkers_subject", ["subject"])

    op.create_table(
        "absences",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("caseworker_id", sa.String(36), sa.ForeignKey("caseworkers.id"), nullable=False, index=True),
        sa.Column("first_day", sa.Date, nullable=False),
        sa.Column("last_day", sa.Date, nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.CheckConstraint("last_day >= first_day", name="ck_absences_order"),
    )

    with op.batch_alter_table("support_cases") as batch:
        for column in (
            sa.Column("reference", sa.String(40)),
            sa.Column("flat_id", sa.String(36)),
            sa.Column("contract_id", sa.String(36)),
            sa.Column("support_start", sa.Date),
            sa.Column("district", sa.String(80)),
            sa.Column("street", sa.String(200)),
            sa.Column("postal_code", sa.String(10)),
            sa.Column("city", sa.String(80)),
            sa.Column("household_name", sa.String(200)),
            sa.Column("household_email", sa.String(254)),
            sa.Column("household_phone", sa.String(40)),
            sa.Column("household_size", sa.Integer),
            sa.Column("contact_person_id", sa.String(36)),
            sa.Column("social_worker_id", sa.String(36)),
            sa.Column("at_risk", sa.Boolean, nullable=False, server_default=sa.false()),
            sa.Column("at_risk_since", UTCDateTime),
            sa.Column("recorded_outcome", sa.String(40)),
            sa.Column("outcome", sa.String(40)),
            sa.Column("close_reason", sa.String(500)),
            sa.Column("closed_at", UTCDateTime),
        ):
            batch.add_column(column)
        batch.create_unique_constraint("uq_support_cases_reference", ["reference"])
        batch.create_index("ix_support_cases_contract_id", ["contract_id"])
        batch.create_index("ix_support_cases_contact_person_id", ["contact_person_id"])
        batch.create_index("ix_support_cases_social_worker_id", ["social_worker_id"])
        batch.create_foreign_key("fk_support_cases_contact_person", "caseworkers", ["contact_person_id"], ["id"])
        batch.create_foreign_key("fk_support_cases_social_worker", "caseworkers", ["social_worker_id"], ["id"])

    op.create_table(
        "known_contracts",
        sa.Column("contract_id", sa.String(36), primary_key=True),
        sa.Column("contract_no", sa.String(40)),
        sa.Column("household_id", sa.String(36), nullable=False, index=True),
        sa.Column("company_id", sa.String(36), nullable=False),
        sa.Column("term_start", sa.Date),
        sa.Column("term_end", sa.Date),
    )

    op.create_table(
        "appointments",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("case_id", sa.String(36), sa.ForeignKey("support_cases.id"), nullable=False, index=True),
        sa.Column("caseworker_id", sa.String(36), sa.ForeignKey("caseworkers.id"), nullable=False, index=True),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("starts_at", UTCDateTime, nullable=False),
        sa.Column("ends_at", UTCDateTime, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("plan_key", sa.String(60)),
        sa.Column("crisis_id", sa.String(36)),
        sa.Column("sequence", sa.Integer, nullable=False, server_default="0"),
        sa.Column("cancel_reason", sa.String(500)),
        sa.Column("outcome_note", sa.String(500)),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("case_id", "plan_key", name="uq_appointments_case_plan_key"),
        sa.CheckConstraint("ends_at > starts_at", name="ck_appointments_order"),
        sa.CheckConstraint("status IN ('scheduled', 'completed', 'missed', 'cancelled')", name="ck_appointments_status"),
    )
    op.create_index("ix_appointments_caseworker_start", "appointments", ["caseworker_id", "starts_at"])

    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute(
            "ALTER TABLE appointments ADD CONSTRAINT appointments_no_overlap "
            "EXCLUDE USING gist (caseworker_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) "
            "WHERE (status <> 'cancelled')"
        )
    elif bind.dialect.name == "sqlite":
        op.execute(_OVERLAP_SQLITE.format(when="insert", event="INSERT"))
        op.execute(_OVERLAP_SQLITE.format(when="update", event="UPDATE OF caseworker_id, starts_at, ends_at, status"))

    op.create_table(
        "crises",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("case_id", sa.String(36), sa.ForeignKey("support_cases.id"), nullable=False, index=True),
        sa.Column("trigger", sa.String(30), nullable=False),
        sa.Column("source_id", sa.String(36), nullable=False, unique=True),
        sa.Column("reported_at", UTCDateTime, nullable=False),
        sa.Column("deadline", UTCDateTime, nullable=False),
        sa.Column("appointment_id", sa.String(36)),
        sa.Column("caseworker_id", sa.String(36)),
        sa.Column("substitute", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("decided_at", UTCDateTime),
    )
    op.create_index("ix_crises_status_deadline", "crises", ["status", "deadline"])


def downgrade() -> None:
    op.drop_table("crises")
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS appointments_no_overlap_insert")
        op.execute("DROP TRIGGER IF EXISTS appointments_no_overlap_update")
    op.drop_table("appointments")
    op.drop_table("known_contracts")
    with op.batch_alter_table("support_cases") as batch:
        batch.drop_constraint("fk_support_cases_social_worker", type_="foreignkey")
        batch.drop_constraint("fk_support_cases_contact_person", type_="foreignkey")
        batch.drop_index("ix_support_cases_social_worker_id")
        batch.drop_index("ix_support_cases_contact_person_id")
        batch.drop_index("ix_support_cases_contract_id")
        batch.drop_constraint("uq_support_cases_reference", type_="unique")
        for name in ("closed_at", "close_reason", "outcome", "recorded_outcome", "at_risk_since", "at_risk",
                     "social_worker_id", "contact_person_id", "household_size", "household_phone",
                     "household_email", "household_name", "city", "postal_code", "street", "district",
                     "support_start", "contract_id", "flat_id", "reference"):
            batch.drop_column(name)
    op.drop_table("absences")
    with op.batch_alter_table("caseworkers") as batch:
        batch.drop_constraint("uq_caseworkers_subject", type_="unique")
        for name in ("feed_token_hash", "subject", "active", "districts", "working_weekdays", "weekly_minutes",
                     "max_cases", "roles", "phone"):
            batch.drop_column(name)
