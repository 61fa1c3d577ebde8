"""Migration 0004 on a database that already holds plain free text: encrypted on the way up, the
reasons leave the audit trail, and the way down gives the plain text back."""

import json

import pytest
from alembic import command
from sqlalchemy import create_engine, text

from servicekit.db import migrations
from servicekit.testing.helpers import create_postgres_database, drop_postgres_database, postgres_available

H, P, F = "00000000-0000-0000-0000-0000000000a1", "00000000-0000-0000-0000-0000000000b1", "00000000-0000-0000-0000-0000000000c1"


@pytest.fixture
def old_database(service, run_id, settings):
    if not postgres_available():
        pytest.skip("the migration is checked on PostgreSQL")
    name = f"wp_test_matching_mig_{run_id}"
    url = create_postgres_database(name)
    migrations.upgrade(service.migrations_dir, url, "0003")
    yield url
    drop_postgres_database(name)


def test_plain_free_text_is_encrypted_and_leaves_the_audit_trail(service, old_database):
    engine = create_engine(old_database)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO households (id, referral_no, adults, children, urgency, status, name, referred_at, "
            "needs_barrier_free, needs_wheelchair, needs_ground_floor_or_lift, has_pets, preferred_districts, "
            "excluded_districts, rent_limit_override_cents, rent_limit_override_reason, counted_declines, needs_review) "
            "VALUES (:id, 'AS-1', 1, 0, 'emergency_accommodation', 'withdrawn', 'Erika Muster', '2026-01-05T09:00Z', "
            "false, false, false, false, '[]', '[]', 60000, 'Pflegegrad 3', 0, false)"), {"id": H})
        conn.execute(text(
            "INSERT INTO flats (id, company_id, street, postal_code, city, district, rooms, area_m2, floor, lift, "
            "barrier_free, wheelchair_accessible, cold_rent_cents, service_charges_cents, heating_cents, "
            "available_from, pets_allowed, status, offered_at) VALUES (:id, 'c', 'Weg 1', '70190', 'Stuttgart', "
            "'Ost', 2, 50, 0, false, false, false, 50000, 0, 0, '2026-01-01', false, 'offered', '2026-01-05T09:00Z')"),
            {"id": F})
        conn.execute(text(
            "INSERT INTO proposals (id, flat_id, household_id, company_id, status, score, score_breakdown, "
            "rules_passed, snapshot, respond_by, created_at, decline_party, decline_reason, decline_text) VALUES "
            "(:id, :f, :h, 'c', 'declined', 1, '{}', '[]', '{}', '2026-01-10', '2026-01-05T09:00Z', 'household', "
            "'other', 'Mutter im Krankenhaus')"), {"id": P, "f": F, "h": H})
        conn.execute(text(
            "INSERT INTO audit_log (at, actor, actor_role, entity, entity_id, action, from_state, to_state, detail) "
            "VALUES ('2026-02-01T10:00Z', 'sb', 'staff', 'household', :h, 'withdrawn', 'waiting', 'withdrawn', :d)"),
            {"h": H, "d": json.dumps({"reason": "Zieht zum Partner"})})

    migrations.upgrade(service.migrations_dir, old_database, "head")
    with engine.connect() as conn:
        reason, withdrawal, changed = conn.execute(text(
            "SELECT rent_limit_override_reason, withdrawal_reason, status_changed_at FROM households")).one()
        decline = conn.execute(text("SELECT decline_text FROM proposals")).scalar_one()
        detail = conn.execute(text("SELECT detail FROM audit_log")).scalar_one()
        assert conn.execute(text("SELECT count(*) FROM access_log")).scalar_one() == 0
    assert all(v.startswith("gAAAA") for v in (reason, withdrawal, decline)) and detail is None
    assert changed.isoformat().startswith("2026-02-01T10:00")

    command.downgrade(migrations.alembic_config(service.migrations_dir, old_database), "0003")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT rent_limit_override_reason FROM households")).scalar_one() == "Pflegegrad 3"
        assert conn.execute(text("SELECT decline_text FROM proposals")).scalar_one() == "Mutter im Krankenhaus"
    engine.dispose()
