"""The access log as the kit writes it: declared on the response schema, written once the response is
built, on SQLite as on PostgreSQL — and what the caller hears when it cannot be written."""

from __future__ import annotations

import sqlite3
import uuid
from contextlib import contextmanager

from sqlalchemy import func, select, text

from servicekit.db.database import Database
from servicekit.db.tables import access_log, kit_metadata
from servicekit.db.uow import UnitOfWork
from servicekit.web.app import create_app

from conftest import Person, PrivacyBase, kit_service, notes, test_metadata

COMPANY_A = "00000000-0000-0000-0000-00000000000a"


def new_person(household_id: str | None = None) -> dict:
    return {"household_id": household_id or str(uuid.uuid4()), "company_id": COMPANY_A,
            "name": "Erika Muster", "size": 3}


def logged(db, household_id: str) -> list[dict]:
    with db.session() as s:
        return [dict(r) for r in s.execute(select(access_log).where(access_log.c.household_id == household_id))
                .mappings()]


@contextmanager
def access_log_unwritable(db):
    with db.engine.begin() as conn:
        conn.execute(text("ALTER TABLE access_log RENAME TO access_log_away"))
    try:
        yield
    finally:
        with db.engine.begin() as conn:
            conn.execute(text("ALTER TABLE access_log_away RENAME TO access_log"))


def test_a_write_that_answers_with_household_data_is_logged(client, tokens, db):
    """Signing a contract, opening a case: the view commits, then hands out the household's data.
    On SQLite the log used to wait for the view's own write lock until the busy timeout, then 503."""
    body = new_person()
    response = client.post("/api/v1/people", json=body, headers=tokens.headers("staff", sub="clerk-1"))
    assert response.status_code == 201, response.json
    [entry] = logged(db, body["household_id"])
    assert (entry["actor"], entry["purpose"], entry["operation"]) == (
        "clerk-1", "referral_and_placement", "POST /api/v1/people")


def test_a_list_logs_each_household_once_and_an_error_logs_none(client, tokens, db):
    household = str(uuid.uuid4())
    ids = [client.post("/api/v1/people", json=new_person(household), headers=tokens.staff()).json["id"]
           for _ in range(2)]
    for person_id in ids:
        assert client.get(f"/api/v1/people/{person_id}", headers=tokens.company(COMPANY_A)).status_code == 200
    assert len(logged(db, household)) == 4  # two writes, two reads: one row per answer and household

    other_company = tokens.company("00000000-0000-0000-0000-00000000000b")
    assert client.get(f"/api/v1/people/{ids[0]}", headers=other_company).status_code == 404
    assert len(logged(db, household)) == 4


def test_a_failure_after_the_commit_says_the_change_was_stored(client, tokens, db):
    body = new_person()
    with access_log_unwritable(db):
        response = client.post("/api/v1/people", json=body, headers=tokens.staff())
    # 500; 503 where the database reports the missing table as an OperationalError (SQLite), as it
    # reports a server that went away
    assert response.status_code in (500, 503)
    assert response.json["stored"] is True and "stored" in response.json["detail"]
    assert "Erika" not in response.get_data(as_text=True)  # the data itself did not leave
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Person).where(
            Person.household_id == body["household_id"])) == 1


def test_a_read_whose_log_cannot_be_written_hands_out_nothing(client, tokens, db):
    person_id = client.post("/api/v1/people", json=new_person(), headers=tokens.staff()).json["id"]
    with access_log_unwritable(db):
        response = client.get(f"/api/v1/people/{person_id}", headers=tokens.staff())
    assert response.status_code in (500, 503)
    assert "stored" not in response.json and "Erika" not in response.get_data(as_text=True)


def test_web_requests_and_a_worker_write_side_by_side_on_sqlite(tmp_path, settings, tokens, run_concurrently):
    """The default `make run` database: several writers take turns without "database is locked"."""
    db = Database(f"sqlite:///{tmp_path / 'side-by-side.db'}")
    for metadata in (kit_metadata, test_metadata, PrivacyBase.metadata):
        metadata.create_all(db.engine)
    app = create_app(kit_service, settings, db=db)
    household = str(uuid.uuid4())

    def web(i: int) -> list[int]:
        client = app.test_client()
        return [client.post("/api/v1/people", json=new_person(household), headers=tokens.staff()).status_code
                for _ in range(15)]

    def worker(i: int) -> list[int]:
        for n in range(30):
            with UnitOfWork(db, "kittest") as unit:
                unit.session.execute(notes.insert().values(id=str(uuid.uuid4()), company_id="w", text=str(n)))
                unit.publish("kit.note.added", {"n": n})
                unit.commit()
        return [201]

    statuses = run_concurrently(lambda i: worker(i) if i == 0 else web(i), n=5, timeout=120)
    assert {s for batch in statuses for s in batch} == {201}
    assert len(logged(db, household)) == 60
    db.dispose()


def test_readyz_says_when_sqlite_is_locked(tmp_path, settings):
    path = tmp_path / "locked.db"
    db = Database(f"sqlite:///{path}")
    kit_metadata.create_all(db.engine)
    client = create_app(kit_service, settings, db=db).test_client()
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        locked = client.get("/readyz")
        assert locked.status_code == 503 and locked.json["checks"]["database"] == "locked"
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert client.get("/readyz").json["checks"]["database"] == "ok"
    db.dispose()
