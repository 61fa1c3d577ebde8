"""Social data at rest: every personal column is classified, rendered texts are encrypted, and the
migration encrypts what an older version stored in plain text."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest
from alembic import command
from sqlalchemy import create_engine, text

from servicekit.db import migrations
from servicekit.privacy import unclassified
from servicekit.testing.helpers import create_postgres_database, drop_postgres_database, postgres_available

from notifications.models import Base
from sample_events import HOUSEHOLD_ID

ENCRYPTED = ("subject", "body", "html", "payload")


def test_every_personal_column_is_classified():
    assert unclassified(Base.metadata) == []


def test_rendered_texts_are_stored_encrypted_and_read_back_plain(db, record, client, tokens):
    record("contracts.company.registered")
    record("matching.tenancy.agreed")
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT id, channel, subject, body, html, payload FROM notifications "
                                 "WHERE event_type = 'matching.tenancy.agreed'")).mappings().all()
    assert {r["channel"] for r in rows} == {"inbox", "email"}
    for row in rows:
        for column in ENCRYPTED:
            if row[column] is not None:
                assert row[column].startswith("gAAAA")
                assert "Müller" not in row[column] and "Mietbeginn" not in row[column]
    inbox = client.get("/api/v1/inbox", headers=tokens.company("7f1c2a4e-2b1d-4c55-9a0e-1f2e3d4c5b6a")).json
    tenancy = [m for m in inbox if m["event_type"] == "matching.tenancy.agreed"]
    assert tenancy and "Mietbeginn" in tenancy[0]["subject"] and "Jürgen Müller" in tenancy[0]["body"]


@pytest.mark.skipif(not postgres_available(), reason="needs PostgreSQL")
def test_the_migration_links_households_and_encrypts_plain_rows_and_downgrade_decrypts(service, settings):
    url = create_postgres_database(f"wp_test_notifications_mig_{uuid.uuid4().hex[:8]}")
    engine = create_engine(url)
    try:
        migrations.upgrade(service.migrations_dir, url, "0002")
        now = datetime(2026, 3, 1, tzinfo=timezone.utc)
        rows = [  # (id, event, recipient, channel, payload)
            ("n1", "e1", f"household:{HOUSEHOLD_ID}", "email", None),
            ("n2", "e1", "mailbox:staff", "inbox", None),
            ("n3", "e2", "company:c", "webhook", '{"data": {"household_id": "h-2"}}'),
            ("n4", "e3", "company:c", "inbox", None),
        ]
        with engine.begin() as conn:
            for id_, event, recipient, channel, payload in rows:
                conn.execute(text(
                    "INSERT INTO notifications (id, event_id, event_type, recipient, channel, subject, body, state, "
                    "created_at, payload) VALUES (:id, :e, 'x.y.z', :r, :c, 'Ihre Wohnung', 'Guten Tag Frau Muster', "
                    "'delivered', :at, :p)"), dict(id=id_, e=event, r=recipient, c=channel, at=now, p=payload))
        migrations.upgrade(service.migrations_dir, url)
        with engine.connect() as conn:
            stored = {r.id: r for r in conn.execute(text("SELECT * FROM notifications")).all()}
            assert conn.execute(text("SELECT count(*) FROM access_log")).scalar_one() == 0
        assert {k: v.household_id for k, v in stored.items()} == {"n1": HOUSEHOLD_ID, "n2": HOUSEHOLD_ID,
                                                                  "n3": "h-2", "n4": None}
        assert all(r.subject.startswith("gAAAA") and "Muster" not in r.body for r in stored.values())
        assert stored["n3"].payload.startswith("gAAAA")

        command.downgrade(migrations.alembic_config(service.migrations_dir, url), "0002")
        with engine.connect() as conn:
            plain = conn.execute(text("SELECT subject, body, payload FROM notifications WHERE id = 'n3'")).one()
        assert plain == ("Ihre Wohnung", "Guten Tag Frau Muster", '{"data": {"household_id": "h-2"}}')
    finally:
        engine.dispose()
        drop_postgres_database(url.rsplit("/", 1)[1])
