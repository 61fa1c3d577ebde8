"""Social data at rest: every column about a person is classified, free text is stored encrypted
(and migration 0003 encrypts what was stored before), the API still gives back the plain text."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from alembic import command

from servicekit.db import migrations
from servicekit.privacy import crypto, unclassified
from servicekit.privacy.classification import fields
from servicekit.testing.helpers import create_postgres_database, drop_postgres_database, postgres_available

from support.models import Base
from support_testing import MONDAY, open_case, register


def test_every_column_about_a_person_is_classified():
    assert unclassified(Base.metadata) == []
    kept = {(f.table, f.column) for f in fields(Base.metadata) if f.keep}
    erased = {(f.table, f.column) for f in fields(Base.metadata) if not f.keep and f.table == "support_cases"}
    assert {("support_cases", "household_size"), ("support_cases", "outcome")} <= kept
    assert erased == {("support_cases", c) for c in ("street", "postal_code", "city", "household_name",
                                                     "household_email", "household_phone", "close_reason", "referral_no")}


def _raw(db, sql: str, **params):
    with db.engine.connect() as conn:
        return conn.execute(sa.text(sql), params).scalar_one()


def test_free_text_is_stored_encrypted_and_read_back_in_plain(client, tokens, db, clock):
    clock.freeze(MONDAY)
    register(client, tokens, name="Anna")
    case = open_case(client, db, clock, tokens)
    visits = client.get(f"/api/v1/cases/{case['id']}/appointments", headers=tokens.staff()).json
    first, second = visits[0], visits[1]
    cancelled = client.post(f"/api/v1/appointments/{second['id']}/cancel", json={"reason": "Kind krank, Mutter im Krankenhaus"},
                            headers=tokens.staff())
    assert cancelled.json["cancel_reason"] == "Kind krank, Mutter im Krankenhaus"
    clock.advance(days=30)
    done = client.post(f"/api/v1/appointments/{first['id']}/complete", json={"outcome": "Schulden beim Energieversorger"},
                       headers=tokens.staff())
    assert done.status_code == 200 and done.json["outcome_note"] == "Schulden beim Energieversorger"
    closed = client.post(f"/api/v1/cases/{case['id']}/close", json={"outcome": "other", "reason": "Trennung der Eltern"},
                         headers=tokens.staff())
    assert closed.json["close_reason"] == "Trennung der Eltern"

    stored = [
        _raw(db, "SELECT cancel_reason FROM appointments WHERE id = :id", id=second["id"]),
        _raw(db, "SELECT outcome_note FROM appointments WHERE id = :id", id=first["id"]),
        _raw(db, "SELECT close_reason FROM support_cases WHERE id = :id", id=case["id"]),
    ]
    for raw in stored:
        assert raw.startswith("gAAAA") and "krank" not in raw and "Schulden" not in raw and "Trennung" not in raw
    again = client.get(f"/api/v1/appointments/{first['id']}", headers=tokens.staff()).json
    assert again["outcome_note"] == "Schulden beim Energieversorger"


@pytest.fixture
def scratch_database(tmp_path):
    """A database of its own, to migrate step by step."""
    if postgres_available():
        name = f"support_migration_{uuid.uuid4().hex[:10]}"
        yield create_postgres_database(name)
        drop_postgres_database(name)
    else:
        yield f"sqlite:///{tmp_path / 'migration.db'}"


def test_migration_0003_encrypts_what_was_stored_in_plain_and_downgrade_decrypts(service, settings, scratch_database):
    crypto.configure(settings)
    migrations.upgrade(service.migrations_dir, scratch_database, "0002")
    now = datetime(2026, 6, 8, 7, 0, tzinfo=timezone.utc)
    engine = sa.create_engine(scratch_database)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO caseworkers (id, name, email, registered_at) VALUES ('cw', 'Anna', 'a@x.example', :t)"),
                     {"t": now})
        conn.execute(sa.text("INSERT INTO support_cases (id, proposal_id, household_id, company_id, status, opened_at, close_reason)"
                             " VALUES ('c1', 'p1', 'h1', 'co', 'closed', :t, 'Trennung der Eltern')"), {"t": now})
        conn.execute(sa.text("INSERT INTO appointments (id, case_id, caseworker_id, kind, starts_at, ends_at, status, "
                             "created_at, updated_at, outcome_note, cancel_reason) VALUES ('a1', 'c1', 'cw', 'home_visit', "
                             ":t, :e, 'completed', :t, :t, 'Schulden beim Energieversorger', NULL)"),
                     {"t": now, "e": now + timedelta(hours=1)})
    try:
        migrations.upgrade(service.migrations_dir, scratch_database)
        with engine.connect() as conn:
            note = conn.execute(sa.text("SELECT outcome_note FROM appointments")).scalar_one()
            reason = conn.execute(sa.text("SELECT close_reason FROM support_cases")).scalar_one()
            assert conn.execute(sa.text("SELECT cancel_reason FROM appointments")).scalar_one() is None
            assert "access_log" in sa.inspect(conn).get_table_names()
        assert "Schulden" not in note and crypto.keyring().decrypt(note.encode()).decode() == "Schulden beim Energieversorger"
        assert "Trennung" not in reason and crypto.keyring().decrypt(reason.encode()).decode() == "Trennung der Eltern"

        command.downgrade(migrations.alembic_config(service.migrations_dir, scratch_database), "0002")
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT outcome_note FROM appointments")).scalar_one() == "Schulden beim Energieversorger"
            assert conn.execute(sa.text("SELECT close_reason FROM support_cases")).scalar_one() == "Trennung der Eltern"
    finally:
        engine.dispose()
