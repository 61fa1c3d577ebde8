"""Versioned events: handlers declare the versions they read, the consumer dead-letters the others,
and a fact published in two versions beside each other takes effect once in every consumer."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import insert, select

from servicekit.bus.consumer import Consumer
from servicekit.bus.envelope import Event
from servicekit.db import UnitOfWork
from servicekit.db.tables import outbox
from servicekit.service import UnknownEventVersion, VersionedHandler, as_versioned, versioned
from servicekit.testing import wait_until

from conftest import note_count, notes

TYPE = "kit.note.copied"


def _write(text: str):
    def handler(unit, event):
        unit.session.execute(insert(notes).values(id=event.data["id"], company_id="c", text=text))
    return handler


def body(version: int, fact: str, published=()) -> bytes:
    return Event(type=TYPE, data={"id": fact}, source="test", correlation_id="c", version=version,
                 published_versions=published).to_json().encode()


def texts(db, fact):
    with db.session() as s:
        return list(s.scalars(select(notes.c.text).where(notes.c.id == fact)))


def test_a_single_version_envelope_is_unchanged_and_the_list_travels_when_set():
    plain = json.loads(body(1, "x"))
    assert set(plain) == {"id", "type", "version", "occurred_at", "source", "correlation_id", "data"}
    both = Event.from_json(body(2, "x", (1, 2)))
    assert both.version == 2 and both.published_versions == (1, 2)
    assert Event.from_json(body(1, "x")).published_versions == ()


def test_a_plain_handler_reads_version_1_only():
    handler = as_versioned(_write("v1"))
    assert handler.versions == (1,) and as_versioned(handler) is handler
    with pytest.raises(UnknownEventVersion, match=r"kit.note.copied version 2 is not read here \(this service reads version\(s\) 1\)"):
        handler.chosen(Event.from_json(body(2, "x")))
    with pytest.raises(ValueError):
        versioned({})


def test_services_wrap_every_handler(service):
    assert all(isinstance(h, VersionedHandler) and h.versions == (1,) for h in service.handlers.values())


def test_the_consumer_handles_known_versions_and_dead_letters_the_others(db, settings):
    consumer = Consumer(db, settings, {TYPE: versioned({1: _write("v1"), 2: _write("v2")})})
    a, b, c = (str(uuid.uuid4()) for _ in range(3))
    outcomes = consumer.process_batch([body(1, a), body(2, b), body(3, c)])
    assert [o for o, _ in outcomes] == ["handled", "handled", "dead_letter"]
    assert texts(db, a) == ["v1"] and texts(db, b) == ["v2"] and texts(db, c) == []


def test_a_fact_published_in_two_versions_takes_effect_once_in_old_and_new_consumers(db, settings):
    new = Consumer(db, settings, {TYPE: versioned({1: _write("v1"), 2: _write("v2")})})
    fact = str(uuid.uuid4())
    pair = [body(1, fact, (1, 2)), body(2, fact, (1, 2))]
    assert [o for o, _ in new.process_batch(pair)] == ["handled", "handled"]  # v1 acknowledged without effect
    assert texts(db, fact) == ["v2"]

    old = Consumer(db, settings, {TYPE: as_versioned(_write("v1"))})  # as a Service declares a plain handler
    old.consumer_name = "old-consumer"  # its own inbox rows, as another service would have
    fact2 = str(uuid.uuid4())
    # an old consumer (reads only v1) of a fact published in v1 and v2: v1 handled, v2 skipped (not dead-lettered)
    assert [o for o, _ in old.process_batch([body(2, fact2, (1, 2)), body(1, fact2, (1, 2))])] == ["handled", "handled"]
    assert texts(db, fact2) == ["v1"]


def test_publish_versions_writes_one_outbox_row_per_version(db):
    fact = str(uuid.uuid4())
    with UnitOfWork(db, "kittest") as unit:
        events = unit.publish_versions(TYPE, {2: {"id": fact, "v": 2}, 1: {"id": fact, "v": 1}})
        unit.commit()
    assert [(e.version, e.published_versions) for e in events] == [(1, (1, 2)), (2, (1, 2))]
    with db.session() as s:
        rows = {r.id: json.loads(r.body) for r in s.execute(select(outbox).where(outbox.c.id.in_([e.id for e in events])))}
    assert sorted((b["version"], b["published_versions"], b["data"]["v"]) for b in rows.values()) == [
        (1, [1, 2], 1), (2, [1, 2], 2)]
    assert len({e.occurred_at for e in events}) == 1


def test_an_unknown_version_goes_to_the_dead_letter_queue_through_the_broker(db, worker, bus, settings):
    """The real worker: version 2 of an event the kit service reads in version 1 only."""
    from servicekit.bus.deadletters import list_dead_letters

    known, unknown = str(uuid.uuid4()), Event.from_json(body(2, str(uuid.uuid4())))
    bus.publish_raw(unknown.to_json().encode(), unknown.properties(), routing_key=TYPE)
    bus.publish(TYPE, {"id": known, "company_id": "c", "text": "v1"})
    wait_until(lambda: note_count(db, id=known) == 1)
    wait_until(lambda: any(d.message_id == unknown.id for d in list_dead_letters(settings)), timeout=30)
    [letter] = [d for d in list_dead_letters(settings) if d.message_id == unknown.id]
    assert letter.reason == "rejected" and letter.deaths == 1  # at once, no retries
    assert note_count(db, id=unknown.data["id"]) == 0
