"""Migration 0005 on a database with flats: the companies that offered them were registered when they
did, so they keep offering flats after the upgrade (with no event to wait for)."""

import pytest
from alembic import command
from sqlalchemy import create_engine, text

from servicekit.db import migrations
from servicekit.testing.helpers import create_postgres_database, drop_postgres_database, postgres_available

FLAT = ("INSERT INTO flats (id, company_id, street, postal_code, city, district, rooms, area_m2, floor, lift, "
        "barrier_free, wheelchair_accessible, cold_rent_cents, service_charges_cents, heating_cents, available_from, "
        "pets_allowed, status, offered_at) VALUES (:id, :company, 'Weg 1', '70190', 'Stuttgart', 'Ost', 2, 50, 0, "
        "false, false, false, 50000, 0, 0, '2026-01-01', false, 'offered', :at)")


@pytest.fixture
def old_database(service, run_id):
    if not postgres_available():
        pytest.skip("the migration is checked on PostgreSQL")
    name = f"wp_test_matching_mig5_{run_id}"
    url = create_postgres_database(name)
    migrations.upgrade(service.migrations_dir, url, "0004")
    yield url
    drop_postgres_database(name)


def test_companies_with_flats_are_carried_over(service, old_database):
    engine = create_engine(old_database)
    with engine.begin() as conn:
        for n, (company, at) in enumerate((("c1", "2026-01-05T09:00Z"), ("c1", "2026-01-03T09:00Z"),
                                           ("c2", "2026-02-01T09:00Z"))):
            conn.execute(text(FLAT), {"id": f"00000000-0000-0000-0000-00000000000{n}", "company": company, "at": at})
    migrations.upgrade(service.migrations_dir, old_database)
    with engine.begin() as conn:
        rows = conn.execute(text("SELECT company_id, registered_at FROM registered_companies ORDER BY company_id")).all()
    assert [(c, at.isoformat()[:10]) for c, at in rows] == [("c1", "2026-01-03"), ("c2", "2026-02-01")]
    command.downgrade(migrations.alembic_config(service.migrations_dir, old_database), "0004")
    with engine.begin() as conn:
        assert conn.execute(text("SELECT count(*) FROM flats")).scalar() == 3
    engine.dispose()
