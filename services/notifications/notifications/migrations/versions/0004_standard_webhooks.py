"""webhook secrets written the Standard Webhooks way; endpoints registered before keep the former headers

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03

The former secrets were used as raw HMAC keys (their UTF-8 text). Each is stored as
``whsec_`` + base64 of that text: the key stays the same, so the company's receiver keeps working
with the former headers (``legacy_signature``), and a Standard Webhooks library verifies with the
new spelling (`notifications.domain.signing.standard_from_legacy`, a line a company can run on the
secret it holds). Rotating the secret ends the former headers.
"""
import base64

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

endpoints = sa.table(
    "webhook_endpoints",
    sa.column("company_id", sa.String), sa.column("secret", sa.String), sa.column("previous_secret", sa.String),
    sa.column("legacy_signature", sa.Boolean),
)


def _standard(secret):
    return None if secret is None else "whsec_" + base64.b64encode(secret.encode("utf-8")).decode("ascii")


def _legacy(secret):
    return None if secret is None else base64.b64decode(secret[len("whsec_"):]).decode("utf-8")


def upgrade() -> None:
    with op.batch_alter_table("webhook_endpoints") as batch:
        batch.add_column(sa.Column("legacy_signature", sa.Boolean, nullable=False, server_default=sa.false()))
    connection = op.get_bind()
    for row in connection.execute(sa.select(endpoints.c.company_id, endpoints.c.secret, endpoints.c.previous_secret)):
        connection.execute(endpoints.update().where(endpoints.c.company_id == row.company_id).values(
            secret=_standard(row.secret), previous_secret=_standard(row.previous_secret), legacy_signature=True))


def downgrade() -> None:
    # Secrets issued after the switch keep their spelling: the former code uses it as a raw key,
    # which no receiver holds, so those companies rotate again.
    connection = op.get_bind()
    legacy = connection.execute(sa.select(endpoints.c.company_id, endpoints.c.secret, endpoints.c.previous_secret)
                                .where(endpoints.c.legacy_signature)).all()
    for row in legacy:
        connection.execute(endpoints.update().where(endpoints.c.company_id == row.company_id).values(
            secret=_legacy(row.secret), previous_secret=_legacy(row.previous_secret)))
    with op.batch_alter_table("webhook_endpoints") as batch:
        batch.drop_column("legacy_signature")
