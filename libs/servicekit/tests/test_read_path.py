"""The read path's shortcuts keep their promises: a remembered token is still the token's answer, a
read without a transaction cannot write, and a dropped database connection costs a GET nothing."""

from __future__ import annotations

import time
import uuid

import jwt
import pytest
from sqlalchemy import func, select, text

from servicekit.auth import InvalidToken, TokenVerifier
from servicekit.db.database import Database
from servicekit.db.tables import outbox
from servicekit.db.uow import UnitOfWork
from servicekit.web.app import create_app

from conftest import Person
from test_access_log import logged, new_person
from test_auth import _claims, _other_key, _sign


@pytest.fixture
def decodes(monkeypatch):
    """How often PyJWT really verified a signature (the real function runs every time)."""
    calls = []
    real = jwt.decode

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(jwt, "decode", counting)
    return calls


def test_a_verified_token_is_remembered_until_its_expiry(settings, decodes):
    verifier = TokenVerifier(settings)
    token = _sign(settings, _claims(settings, exp=int(time.time()) + 2))
    first = verifier.verify(token)
    assert verifier.verify(token) == first
    assert len(decodes) == 1
    time.sleep(2.2)
    verifier.verify(token)  # past its exp the token is verified again (PyJWT's leeway still admits it)
    assert len(decodes) == 2


def test_refused_tokens_are_never_remembered_and_the_memory_is_bounded(settings, decodes, monkeypatch):
    verifier = TokenVerifier(settings)
    forged = _sign(settings, _claims(settings), key=_other_key())
    for _ in range(2):
        with pytest.raises(InvalidToken):
            verifier.verify(forged)
    assert len(decodes) == 2

    monkeypatch.setenv("TOKEN_CACHE_SIZE", "2")
    small = TokenVerifier(settings)
    tokens = [_sign(settings, _claims(settings, sub=f"u{i}")) for i in range(3)]
    for token in tokens + tokens[-2:]:
        small.verify(token)
    assert len(decodes) == 2 + 3  # the two most recent were remembered
    small.verify(tokens[0])
    assert len(decodes) == 2 + 4  # the oldest was not


def test_a_read_only_unit_of_work_cannot_write(db):
    household = str(uuid.uuid4())
    with UnitOfWork(db, "kittest", read_only=True) as unit:
        unit.session.add(Person(id=str(uuid.uuid4()), **new_person(household)))
        with pytest.raises(RuntimeError, match="read-only"):
            unit.session.flush()
    with UnitOfWork(db, "kittest", read_only=True) as unit:
        for attempt in (lambda: unit.publish("kit.note.added", {}), lambda: unit.audit("person", "p", "x"),
                        unit.commit):
            with pytest.raises(RuntimeError, match="read-only"):
                attempt()
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Person).where(Person.household_id == household)) == 0
        assert s.scalar(select(func.count()).select_from(outbox)) == 0


def test_a_get_survives_a_dropped_database_connection_and_a_write_says_try_again(service, settings, db, tokens):
    if not db.is_postgres:
        pytest.skip("SQLite has no connection to drop")  # the SQLite run covers the rest of this module
    web_db = Database(settings.database_url, pre_ping=False)
    client = create_app(service, settings, db=web_db).test_client()
    person = client.post("/api/v1/people", json=new_person(), headers=tokens.staff()).json
    url = f"/api/v1/people/{person['id']}"
    assert client.get(url, headers=tokens.staff()).status_code == 200

    def drop_the_web_connections():
        with db.engine.connect() as conn:
            dropped = conn.execute(text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar()
        assert dropped >= 1

    drop_the_web_connections()
    response = client.get(url, headers=tokens.staff())
    assert response.status_code == 200 and response.json["name"] == "Erika Muster"
    assert len(logged(db, person["household_id"])) == 3  # the write's answer and both reads

    drop_the_web_connections()
    refused = client.post("/api/v1/people", json=new_person(), headers=tokens.staff())
    assert refused.status_code == 503 and refused.headers["Retry-After"]
    assert client.post("/api/v1/people", json=new_person(), headers=tokens.staff()).status_code == 201
    web_db.dispose()


class _Pages:
    def __init__(self, page: int, page_size: int) -> None:
        self.page, self.page_size, self.item_count = page, page_size, None


def test_a_page_carries_its_total_and_a_page_past_the_end_still_counts(db):
    from servicekit.web.pagination import page_of, page_of_rows

    company = str(uuid.uuid4())
    with db.session() as s:
        for i in range(5):
            s.add(Person(id=f"{company[:30]}-{i}", household_id=str(uuid.uuid4()), company_id=company,
                         name=f"P{i}", size=1 + i % 2))
        s.commit()
    mine = select(Person).where(Person.company_id == company).order_by(Person.id)
    with db.session(read_only=True) as s:
        pages = _Pages(2, 2)
        assert [p.name for p in page_of(s, mine, pages)] == ["P2", "P3"] and pages.item_count == 5
        pages = _Pages(10**9, 2)
        assert page_of(s, mine, pages) == [] and pages.item_count == 5
        sizes = select(Person.size).where(Person.company_id == company).distinct().order_by(Person.size)
        pages = _Pages(1, 10)
        assert page_of_rows(s, sizes, pages) == [{"size": 1}, {"size": 2}] and pages.item_count == 2
