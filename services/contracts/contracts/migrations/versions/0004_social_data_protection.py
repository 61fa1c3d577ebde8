"""social data protection: free text encrypted at rest, retention marks, erasure requests, access log

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25

Claim descriptions, decision reasons, termination notes and incident descriptions become Fernet
tokens (the CLI installs the keyring from DATA_KEYS before migrating). Decision reasons also leave
the audit trail, which is stored in plain JSON: the claim row keeps them, encrypted.
"""
import sqlalchemy as sa
from alembic import op
from cryptography.fernet import InvalidToken

from servicekit.db.migrations import create_kit_tables
from servicekit.db.types import UTCDateTime
from servicekit.privacy import crypto

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# (table, primary key, column) holding free text about a household
ENCRYPTED = [
    ("contracts", "id", "termination_note"),
    ("claims", "id", "description"),
    ("claims", "id", "decision_reason"),
    ("incidents", "id", "description"),
]


def _rewrite(convert) -> None:
    conn = op.get_bind()
    for table_name, pk, col in ENCRYPTED:
        raw = sa.table(table_name, sa.column(pk), sa.column(col))
        rows = conn.execute(sa.select(raw.c[pk], raw.c[col]).where(raw.c[col].is_not(None))).all()
        for key, value in rows:
            conn.execute(sa.update(raw).where(raw.c[pk] == key).values({col: convert(value)}))


def _is_token(value: str) -> bool:
    try:
        crypto.keyring().decrypt(value.encode("ascii"))
        return True
    except (InvalidToken, ValueError):  # plain text (non-ASCII text is no token either)
        return False


def upgrade() -> None:
    create_kit_tables(op)
    ring = crypto.keyring()
    # a value that already decrypts was written by a newer code version during a rolling start
    _rewrite(lambda v: v if _is_token(v) else ring.encrypt(v.encode("utf-8")).decode("ascii"))

    conn = op.get_bind()
    audit = sa.table("audit_log", sa.column("id"), sa.column("entity"), sa.column("action"), sa.column("detail", sa.JSON))
    decided = conn.execute(sa.select(audit.c.id, audit.c.detail).where(
        audit.c.entity == "claim", audit.c.action.like("decided_%"))).all()
    for key, detail in decided:
        if detail and "reason" in detail:
            kept = {k: v for k, v in detail.items() if k != "reason"}
            conn.execute(sa.update(audit).where(audit.c.id == key).values(detail=kept))

    with op.batch_alter_table("contracts") as batch:
        batch.add_column(sa.Column("contact_erased_at", UTCDateTime))
        batch.add_column(sa.Column("personal_data_erased_at", UTCDateTime))
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.create_index("ix_idempotency_keys_created_at", ["created_at"])
    op.create_table(
        "erasure_requests",
        sa.Column("request_id", sa.String(64), primary_key=True),
        sa.Column("household_id", sa.String(36), nullable=False, index=True),
        sa.Column("reason", sa.String(20), nullable=False),
        sa.Column("received_at", UTCDateTime, nullable=False),
        sa.Column("status", sa.String(20), nullable=False, index=True),
        sa.Column("hold", sa.String(40)),
        sa.Column("erased_at", UTCDateTime),
    )


def downgrade() -> None:
    op.drop_table("erasure_requests")
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.drop_index("ix_idempotency_keys_created_at")
    with op.batch_alter_table("contracts") as batch:
        batch.drop_column("personal_data_erased_at")
        batch.drop_column("contact_erased_at")
    ring = crypto.keyring()
    _rewrite(lambda v: ring.decrypt(v.encode("ascii")).decode("utf-8") if _is_token(v) else v)
