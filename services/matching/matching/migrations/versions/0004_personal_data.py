"""personal data: free text encrypted at rest, withdrawal reason out of the audit trail, erasure
requests and the services' answers, status timestamps for retention, the kit's access log

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

from servicekit.db.migrations import create_kit_tables
from servicekit.db.types import UTCDateTime
from servicekit.privacy import crypto

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

ENCRYPTED = (("households", "rent_limit_override_reason"), ("proposals", "decline_text"))


def _rewrite(table: str, column: str, convert) -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.text(f"SELECT id, {column} FROM {table} WHERE {column} IS NOT NULL")).all()
    for ident, value in rows:
        conn.execute(sa.text(f"UPDATE {table} SET {column} = :v WHERE id = :id"), {"v": convert(value), "id": ident})


def _encrypt(value: str) -> str:
    return crypto.keyring().encrypt(value.encode("utf-8")).decode("ascii")


def _decrypt(value: str) -> str:
    return crypto.keyring().decrypt(value.encode("ascii")).decode("utf-8")


def _move_reasons_out_of_the_audit_trail() -> None:
    """Withdrawal and rent-limit reasons were typed into the audit details in plain text: the
    latest withdrawal reason moves to its encrypted column, and both leave the audit rows."""
    conn = op.get_bind()
    audit = sa.table("audit_log", sa.column("id"), sa.column("entity_id"), sa.column("action"),
                     sa.column("detail", sa.JSON))
    rows = conn.execute(
        sa.select(audit.c.id, audit.c.entity_id, audit.c.action, audit.c.detail)
        .where(sa.text("entity = 'household' AND action IN ('withdrawn', 'rent_limit_override')"))
        .order_by(audit.c.id)
    ).all()
    for row in rows:
        detail = dict(row.detail or {})
        reason = detail.pop("reason", None)
        if reason is None:
            continue
        if row.action == "withdrawn":
            conn.execute(sa.text("UPDATE households SET withdrawal_reason = :v WHERE id = :id"),
                         {"v": _encrypt(str(reason)), "id": row.entity_id})
        conn.execute(sa.update(audit).where(audit.c.id == row.id).values(detail=detail or None))


def upgrade() -> None:
    crypto.keyring()  # configured by the CLI / test setup before migrating; fails early without keys
    create_kit_tables(op)  # adds the access log
    with op.batch_alter_table("households") as t:
        t.alter_column("referral_no", existing_type=sa.String(40), nullable=True)
        t.add_column(sa.Column("withdrawal_reason", sa.Text))
        t.add_column(sa.Column("status_changed_at", UTCDateTime))
        t.add_column(sa.Column("erased_at", UTCDateTime))
    for table, column in ENCRYPTED:
        _rewrite(table, column, _encrypt)
    _move_reasons_out_of_the_audit_trail()
    # Retention periods run from the last status change the audit trail knows of.
    op.execute(
        "UPDATE households SET status_changed_at = COALESCE((SELECT max(a.at) FROM audit_log a "
        "WHERE a.entity = 'household' AND a.entity_id = households.id AND a.to_state IS NOT NULL "
        "AND (a.from_state IS NULL OR a.from_state <> a.to_state)), referred_at)"
    )
    op.create_table(
        "erasure_requests",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("household_id", sa.String(36), nullable=False, unique=True),
        sa.Column("reason", sa.String(20), nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("requested_at", UTCDateTime, nullable=False),
        sa.Column("requested_by", sa.String(120), nullable=False),
    )
    op.create_table(
        "erasure_answers",
        sa.Column("request_id", sa.String(36), sa.ForeignKey("erasure_requests.id"), primary_key=True),
        sa.Column("service", sa.String(40), primary_key=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("hold", sa.String(200)),
        sa.Column("answered_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_households_status_changed", "households", ["status", "status_changed_at"])


def downgrade() -> None:
    op.drop_index("ix_households_status_changed", "households")
    op.drop_table("erasure_answers")
    op.drop_table("erasure_requests")
    for table, column in ENCRYPTED:
        _rewrite(table, column, _decrypt)
    # Erased households have no file number any more; the old schema needs one.
    op.execute("UPDATE households SET referral_no = 'erased-' || substr(id, 1, 32) WHERE referral_no IS NULL")
    with op.batch_alter_table("households") as t:
        t.drop_column("erased_at")
        t.drop_column("status_changed_at")
        t.drop_column("withdrawal_reason")
        t.alter_column("referral_no", existing_type=sa.String(40), nullable=False)
