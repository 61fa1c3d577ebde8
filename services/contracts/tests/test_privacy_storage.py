"""Social data at rest: every column about a household is classified, and the free text people type
about a household (claim and decision reasons, termination notes, incidents) is stored encrypted,
also after the migration that introduced it, while the API still answers in plain text."""

from sqlalchemy import text

from servicekit.db import migrations
from servicekit.privacy import unclassified

from contracts.models import Base


def test_every_column_that_looks_personal_is_classified():
    assert unclassified(Base.metadata) == []


def _raw(db, sql: str, key: str) -> str:
    with db.engine.connect() as conn:
        return conn.execute(text(sql), {"id": key}).scalar_one()


def _story(world):
    company = world.company()
    contract = world.contract(company)
    claim = world.claim(contract, kind="damage_repairs", amount=10_000)
    fin, staff = world.tokens.finance(), world.tokens.staff()
    decided = world.client.post(f"/api/v1/claims/{claim['id']}/decision", headers=fin, json={
        "decision": "approve", "approved_cents": 5_000, "reason": "Abzug neu für alt, Frau Müller krank"})
    assert decided.status_code == 200
    incident = world.client.post(f"/api/v1/contracts/{contract['id']}/incidents", headers=world.tokens.company(company),
                                 json={"kind": "other", "severity": "low", "description": "Lärm nach Trennung"})
    assert incident.status_code == 201
    ended = world.client.post(f"/api/v1/contracts/{contract['id']}/terminate", headers=staff, json={
        "reason": "other", "effective_on": "2027-06-30", "note": "Haushalt in Klinik aufgenommen"})
    assert ended.status_code == 200
    return contract, claim, incident.json


def _stored(db, contract, claim, incident) -> list[str]:
    return [
        _raw(db, "SELECT description FROM claims WHERE id = :id", claim["id"]),
        _raw(db, "SELECT decision_reason FROM claims WHERE id = :id", claim["id"]),
        _raw(db, "SELECT description FROM incidents WHERE id = :id", incident["id"]),
        _raw(db, "SELECT termination_note FROM contracts WHERE id = :id", contract["id"]),
    ]


PLAIN = ["Miete offen laut Mietkonto", "Abzug neu für alt, Frau Müller krank", "Lärm nach Trennung",
         "Haushalt in Klinik aufgenommen"]


def _read_back(world, contract, claim, incident) -> list[str]:
    staff = world.tokens.staff()
    got_claim = world.client.get(f"/api/v1/claims/{claim['id']}", headers=staff).json
    got_incident = world.client.get(f"/api/v1/incidents/{incident['id']}", headers=staff).json
    got_contract = world.client.get(f"/api/v1/contracts/{contract['id']}", headers=staff).json
    return [got_claim["description"], got_claim["decision_reason"], got_incident["description"],
            got_contract["termination_note"]]


def test_free_text_is_stored_encrypted_and_read_in_plain(world, db):
    contract, claim, incident = _story(world)
    stored = _stored(db, contract, claim, incident)
    assert all(value.startswith("gAAAA") for value in stored)
    assert not any(p in s for p in PLAIN for s in stored)
    assert _read_back(world, contract, claim, incident) == PLAIN
    with db.engine.connect() as conn:  # the audit trail (plain JSON) does not repeat the decision's reason
        details = conn.execute(text("SELECT CAST(detail AS TEXT) FROM audit_log")).scalars().all()
    assert not any("Müller" in (d or "") for d in details)


def test_the_migration_encrypts_what_was_stored_in_plain_and_downgrade_decrypts(world, db, service, settings):
    contract, claim, incident = _story(world)
    config = migrations.alembic_config(service.migrations_dir, settings.database_url)
    from alembic import command

    try:
        command.downgrade(config, "0003")
        assert _stored(db, contract, claim, incident) == PLAIN
    finally:
        migrations.upgrade(service.migrations_dir, settings.database_url)
    assert all(value.startswith("gAAAA") for value in _stored(db, contract, claim, incident))
    assert _read_back(world, contract, claim, incident) == PLAIN
