"""Classification, encryption with rotation, the access log, the export, purpose-bound views,
erasure, log redaction and the records of processing — against the kit's test service."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Column, MetaData, String, Table, Text, insert, select, text

from servicekit.db.tables import access_log, audit_log, outbox
from servicekit.logs import Redactor
from servicekit.privacy import crypto, erase, forget_traces, not_personal, personal, unclassified, IDENTIFYING
from servicekit.privacy.bundle import summary_de
from servicekit.privacy.classification import erased_values
from servicekit.privacy.records import render
from servicekit.testing import find_stored

from conftest import Person, PrivacyBase, kit_service

COMPANY_A, COMPANY_B = str(uuid.uuid4()), str(uuid.uuid4())


@pytest.fixture
def person(db):
    row = Person(id=str(uuid.uuid4()), household_id=str(uuid.uuid4()), company_id=COMPANY_A, name="Erika Muster",
                 email="erika@example.org", size=3, note="Mietrückstand wegen Krankheit")
    with db.session() as s, s.begin():
        s.add(row)
    return row


def test_a_column_that_looks_personal_must_be_classified():
    metadata = MetaData()
    Table("t", metadata, Column("id", String(36), primary_key=True), Column("phone", String(40)),
          Column("remarks", Text), Column("street", String(200), info=not_personal("the flat's address")),
          Column("name", String(200), info=personal(IDENTIFYING)), Column("district", String(40)))
    assert unclassified(metadata) == ["t.phone", "t.remarks"]
    assert unclassified(PrivacyBase.metadata) == []


def test_erased_values_follow_the_classification():
    values = erased_values(Person.__table__)
    assert values == {"name": "[gelöscht]", "email": None, "note": None}  # size is kept (keep=True)


def test_free_text_is_stored_encrypted_and_survives_key_rotation(db, person, settings):
    with db.engine.connect() as conn:
        raw = conn.execute(text("SELECT note FROM people WHERE id = :id"), {"id": person.id}).scalar_one()
    assert "Krankheit" not in raw and raw.startswith("gAAAA")
    old_key = crypto.keys_from(settings)[0]
    new_key = Fernet.generate_key().decode()
    try:
        crypto.configure([new_key, old_key])
        assert crypto.rotate(db, PrivacyBase.metadata) == 1
        crypto.configure([new_key])  # the old key is gone: the value must still read
        with db.session() as s:
            assert s.get(Person, person.id).note == "Mietrückstand wegen Krankheit"
        crypto.configure([old_key])
        with db.session() as s, pytest.raises(crypto.DataKeyError):
            s.get(Person, person.id).note
    finally:
        crypto.configure([new_key, old_key])
        crypto.rotate(db, PrivacyBase.metadata)
        crypto.configure([old_key, new_key])
        crypto.rotate(db, PrivacyBase.metadata)
        crypto.configure(settings)


def test_a_read_is_logged_and_only_the_dpo_reads_the_log(client, tokens, db, person):
    company = tokens.company(COMPANY_A, sub="user-7")
    assert client.get(f"/api/v1/people/{person.id}", headers=company).status_code == 200
    assert client.get(f"/api/v1/people/{person.id}", headers=tokens.company(COMPANY_B)).status_code == 404

    with db.session() as s:
        rows = s.execute(select(access_log)).mappings().all()
    assert [(r["actor"], r["actor_role"], r["company_id"], r["household_id"], r["purpose"]) for r in rows] == [
        ("user-7", "company", COMPANY_A, person.household_id, "tenancy_management")]
    assert rows[0]["operation"] == "GET /api/v1/people/<person_id>"

    assert client.get("/api/v1/privacy/access-log", headers=tokens.staff()).status_code == 403
    log = client.get(f"/api/v1/privacy/access-log?household_id={person.household_id}", headers=tokens.headers("dpo"))
    assert log.status_code == 200
    assert [e["actor"] for e in log.json] == ["user-7"]
    assert client.get("/api/v1/privacy/access-log?household_id=other", headers=tokens.headers("dpo")).json == []
    bad = client.get("/api/v1/privacy/access-log?since=yesterday", headers=tokens.headers("dpo"))
    assert bad.status_code == 422 and "since" in json.dumps(bad.json)


def test_each_role_gets_its_view(client, tokens, person):
    staff = client.get(f"/api/v1/people/{person.id}", headers=tokens.staff()).json
    assert staff["name"] == "Erika Muster" and staff["note"] == "Mietrückstand wegen Krankheit"
    company = client.get(f"/api/v1/people/{person.id}", headers=tokens.company(COMPANY_A)).json
    assert company == {"id": person.id, "household_id": person.household_id, "size": 3}


def test_the_export_holds_the_households_data_decrypted_with_labels_and_reads(client, tokens, person, db):
    client.get(f"/api/v1/people/{person.id}", headers=tokens.staff())
    url = f"/api/v1/privacy/households/{person.household_id}/export"
    assert client.get(url, headers=tokens.staff()).status_code == 403
    export = client.get(url, headers=tokens.headers("dpo")).json
    assert export["service"] == "kittest"
    assert export["records"]["people"][0]["note"] == "Mietrückstand wegen Krankheit"
    assert export["fields"]["people.email"]["category"] == "contact"
    assert [r["purpose"] for r in export["access_log"]] == ["referral_and_placement", "data_subject_access"]
    # the export's own read is in the log once it was answered
    again = client.get(url, headers=tokens.headers("dpo")).json
    assert [r["purpose"] for r in again["access_log"]] == [
        "referral_and_placement", "data_subject_access", "data_subject_access"]
    other = client.get(f"/api/v1/privacy/households/{uuid.uuid4()}/export", headers=tokens.headers("dpo")).json
    assert other["records"] == {"people": []}

    summary = summary_de({"household_id": person.household_id, "created_at": datetime.now(timezone.utc).isoformat(),
                          "services": {"kittest": export}})
    assert "Auskunft nach Art. 15 DSGVO" in summary and "Erika Muster" in summary and "Notiz" in summary


def test_erasure_removes_the_person_everywhere_but_keeps_what_is_marked_keep(db, person):
    body = json.dumps({"data": {"household_id": person.household_id, "name": "Erika Muster"}})
    now = datetime.now(timezone.utc)
    with db.session() as s, s.begin():
        s.execute(insert(outbox).values(id=str(uuid.uuid4()), type="x.y.z", correlation_id="c", body=body,
                                        created_at=now, published_at=now))
        s.execute(insert(audit_log).values(at=now, actor="a", actor_role="staff", entity="person",
                                           entity_id=person.id, action="created", detail={"name": "Erika Muster"}))
    traces = ["Erika Muster", "erika@example.org", "wegen Krankheit"]
    assert find_stored(db.engine, traces) == [("audit_log", "Erika Muster"), ("outbox", "Erika Muster"),
                                              ("people", "Erika Muster"), ("people", "erika@example.org"),
                                              ("people", "wegen Krankheit")]  # the scan sees encrypted text too
    with db.session() as s, s.begin():
        erase(s.get(Person, person.id))
        forget_traces(s, person.household_id, [person.id])
    assert find_stored(db.engine, traces) == []
    with db.session() as s:
        erased = s.get(Person, person.id)
        assert (erased.name, erased.email, erased.note, erased.size) == ("[gelöscht]", None, None, 3)
        assert s.execute(select(audit_log.c.action)).scalars().all() == ["created"]  # who/when/what stays


def test_logs_withhold_personal_fields_and_mask_email_addresses():
    redact = Redactor({"household_name"})
    event = redact(None, "info", {"event": "x", "household_name": "Erika", "name": "Erika", "case_id": "c-1",
                                  "error": "mail to erika@example.org bounced"})
    assert event == {"event": "x", "household_name": "[redacted]", "name": "[redacted]", "case_id": "c-1",
                     "error": "mail to [email] bounced"}


def test_records_of_processing_list_every_classified_field():
    doc = render([kit_service])
    assert "Verzeichnis von Verarbeitungstätigkeiten" in doc and "§ 67a SGB X" in doc
    for label in ("Name", "E-Mail", "Haushaltsgröße", "Notiz"):
        assert f"| people | {label} " in doc
    assert "3 Jahre nach Abschluss" in doc


def test_database_errors_do_not_carry_the_values_they_were_about(db, person):
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError) as error, db.session() as s, s.begin():
        s.add(Person(id=person.id, household_id="h", company_id="c", name="Geheim Name", size=1))
    assert "Geheim" not in str(error.value)


def test_published_events_leave_the_outbox_after_the_retention_period(db, job_context, clock):
    from servicekit.privacy.erasure import prune_published_outbox

    now = clock.now()
    rows = {"old-sent": now - timedelta(days=31), "new-sent": now - timedelta(days=29), "pending": None}
    with db.session() as s, s.begin():
        for key, published in rows.items():
            s.execute(insert(outbox).values(id=key, type="x.y.z", correlation_id="c", body="{}",
                                            created_at=now - timedelta(days=32), published_at=published))
    prune_published_outbox(job_context)
    with db.session() as s:
        assert sorted(s.execute(select(outbox.c.id)).scalars()) == ["new-sent", "pending"]
