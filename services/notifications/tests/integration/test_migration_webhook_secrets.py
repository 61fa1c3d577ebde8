"""Migration 0004: the secrets companies already hold keep verifying, now also with a Standard
Webhooks library."""

import secrets
import uuid
from datetime import datetime, timezone

import pytest
from alembic import command
from sqlalchemy import create_engine, text
from standardwebhooks import Webhook

from servicekit.db import migrations
from servicekit.testing.helpers import create_postgres_database, drop_postgres_database, postgres_available

from notifications.domain.signing import signature_headers, standard_from_legacy, unix_time


@pytest.mark.skipif(not postgres_available(), reason="needs PostgreSQL")
def test_former_secrets_are_rewritten_with_the_same_key_and_downgrade_restores_them(service):
    url = create_postgres_database(f"wp_test_notifications_whsec_{uuid.uuid4().hex[:8]}")
    engine = create_engine(url)
    former, previous = "whsec_" + secrets.token_urlsafe(32), "whsec_" + secrets.token_urlsafe(32)
    try:
        migrations.upgrade(service.migrations_dir, url, "0003")
        now = datetime(2026, 3, 1, tzinfo=timezone.utc)
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO webhook_endpoints (company_id, url, secret, previous_secret, "
                              "previous_secret_expires_at, created_at, updated_at) VALUES "
                              "('c1', 'https://hooks.example/x', :s, :p, :at, :at, :at)"),
                         dict(s=former, p=previous, at=now))
        migrations.upgrade(service.migrations_dir, url)
        with engine.connect() as conn:
            row = conn.execute(text("SELECT secret, previous_secret, legacy_signature FROM webhook_endpoints")).one()
        assert row == (standard_from_legacy(former), standard_from_legacy(previous), True)
        body = b'{"type":"contracts.claim.paid"}'
        Webhook(row.secret).verify(body, signature_headers([row.secret], "m-1", unix_time(), body))

        command.downgrade(migrations.alembic_config(service.migrations_dir, url), "0003")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT secret, previous_secret FROM webhook_endpoints")).one() == (former, previous)
    finally:
        engine.dispose()
        drop_postgres_database(url.rsplit("/", 1)[1])
