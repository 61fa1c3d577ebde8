"""The transactional outbox and its relay against the real broker (and PostgreSQL when present)."""

from __future__ import annotations

import dataclasses
import threading
import uuid
from collections import Counter

import pytest
from sqlalchemy import func, select, update

from servicekit.bus.relay import OutboxRelay
from servicekit.db import UnitOfWork, outbox
from servicekit.testing import wait_until


def _write_events(db, n: int, event_type: str = "kit.note.added") -> list[str]:
    ids = []
    with UnitOfWork(db, "kittest") as unit:
        for i in range(n):
            ids.append(unit.publish(event_type, {"i": i}).id)
        unit.commit()
    return ids


def _pending(db) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None)))


def test_state_change_and_event_commit_together_or_not_at_all(db):
    with UnitOfWork(db, "kittest") as unit:
        unit.publish("kit.note.added", {"i": 1})
        # leaving the block without commit: neither the event nor anything else is written
    assert _pending(db) == 0


def test_a_units_events_and_audit_entries_are_one_insert_each_after_its_state_changes(db):
    """Five events and three audit entries cost two statements, written at commit after the
    state changes; a failing state change writes none of them."""
    from sqlalchemy import event as sa_event
    from sqlalchemy.exc import IntegrityError

    from servicekit.db import audit_log

    from conftest import notes

    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement.split("(", 1)[0].strip())

    marker = uuid.uuid4().hex
    sa_event.listen(db.engine, "before_cursor_execute", count)
    try:
        with UnitOfWork(db, "kittest") as unit:
            unit.session.execute(notes.insert().values(id=marker, company_id="c", text="x"))
            for i in range(5):
                unit.publish("kit.note.added", {"i": i, "marker": marker})
            for i in range(3):
                unit.audit("note", marker, f"step-{i}")
            unit.commit()
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", count)
    inserts = [s for s in statements if s.startswith("INSERT")]
    assert inserts == ["INSERT INTO notes", "INSERT INTO outbox", "INSERT INTO audit_log"]
    with db.session() as s:
        assert s.scalars(select(audit_log.c.action).where(audit_log.c.entity_id == marker)
                         .order_by(audit_log.c.id)).all() == ["step-0", "step-1", "step-2"]
        assert s.scalar(select(func.count()).select_from(outbox).where(outbox.c.body.contains(marker))) == 5

    with pytest.raises(IntegrityError), UnitOfWork(db, "kittest") as unit:
        unit.publish("kit.note.added", {"marker": marker, "again": True})
        unit.audit("note", marker, "again")
        unit.session.execute(notes.insert().values(id=marker, company_id="c", text="twice"))  # taken
        unit.commit()
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(outbox).where(outbox.c.body.contains(marker))) == 5
        assert s.scalar(select(func.count()).select_from(audit_log).where(audit_log.c.entity_id == marker)) == 3
        s.execute(outbox.delete().where(outbox.c.body.contains(marker)))
        s.commit()


def test_what_an_aggregate_recorded_goes_to_the_outbox_once(db):
    from servicekit.domain import DomainEvent

    @dataclasses.dataclass
    class Note:
        events: list = dataclasses.field(default_factory=list)

    note = Note([DomainEvent("kit.note.added", {"i": 1}), DomainEvent("kit.note.changed", {"i": 2})])
    with UnitOfWork(db, "kittest") as unit:
        unit.publish_recorded(note)
        unit.publish_recorded(note)  # nothing twice
        unit.commit()
    assert note.events == []
    with db.session() as s:
        types = s.scalars(select(outbox.c.type).where(outbox.c.published_at.is_(None))
                          .order_by(outbox.c.created_at, outbox.c.id)).all()
    assert sorted(types) == ["kit.note.added", "kit.note.changed"]
    with db.session() as s:
        s.execute(outbox.delete())
        s.commit()


def test_an_event_written_while_the_broker_is_down_is_published_when_it_is_back(db, settings, bus):
    capture = bus.capture("kit.#")
    [event_id] = _write_events(db, 1)

    down = OutboxRelay(db, dataclasses.replace(settings, bus_url="amqp://guest:guest@127.0.0.1:1/%2F"))
    stop = threading.Event()
    thread = threading.Thread(target=down.run, args=(stop,), kwargs={"idle_wait": 0.01})
    thread.start()
    stop.wait(1.0)
    stop.set()
    thread.join()
    assert _pending(db) == 1  # nothing was marked sent without a broker

    assert OutboxRelay(db, settings).publish_batch() == 1
    assert capture.wait_for("kit.note.added")["id"] == event_id
    assert _pending(db) == 0


def test_a_message_the_broker_refuses_stays_pending(db, settings, bus):
    # A queue that rejects every publish makes the broker nack: the relay must not mark the row.
    refusing = f"{settings.bus_prefix}refusing"
    bus._channel.queue_declare(refusing, arguments={"x-max-length": 0, "x-overflow": "reject-publish"})
    bus._channel.queue_bind(refusing, settings.exchange, routing_key="kit.refused")
    try:
        _write_events(db, 1, "kit.refused")
        relay = OutboxRelay(db, settings)
        assert relay.publish_batch() == 0
        relay.close()
        assert _pending(db) == 1
        with db.session() as s:
            assert s.scalar(select(outbox.c.attempts)) == 1
    finally:
        bus._channel.queue_delete(refusing)


def test_republishing_keeps_the_message_id(db, settings, bus):
    capture = bus.capture("kit.#")
    [event_id] = _write_events(db, 1)
    relay = OutboxRelay(db, settings)
    relay.publish_batch()
    with db.session() as s:  # as if the relay had died between the confirm and marking the row
        s.execute(update(outbox).values(published_at=None))
        s.commit()
    relay.publish_batch()
    relay.close()
    wait_until(lambda: len(capture.of_type("kit.note.added")) == 2)
    assert [e["id"] for e in capture.of_type("kit.note.added")] == [event_id, event_id]


def test_two_relays_on_postgresql_never_publish_the_same_row(db, settings, bus):
    if not db.is_postgres:
        pytest.skip("row locking (FOR UPDATE SKIP LOCKED) exists only on PostgreSQL")
    capture = bus.capture("kit.#")
    ids = _write_events(db, 1500)
    relays = [OutboxRelay(db, settings, batch_size=50) for _ in range(2)]
    stop = threading.Event()
    threads = [threading.Thread(target=r.run, args=(stop,), kwargs={"idle_wait": 0.01}) for r in relays]
    for t in threads:
        t.start()
    try:
        wait_until(lambda: _pending(db) == 0, timeout=60)
    finally:
        stop.set()
        for t in threads:
            t.join()
    wait_until(lambda: len(capture.of_type("kit.note.added")) >= 1500, timeout=30)
    published = Counter(e["id"] for e in capture.of_type("kit.note.added"))
    assert set(published) == set(ids)
    assert max(published.values()) == 1, "a row was published twice"
