"""The consumer with its inbox, retries and dead letters, against the real broker."""

from __future__ import annotations

import time
import uuid

import pika
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import create_engine, text

from servicekit.bus.deadletters import list_dead_letters, replay_dead_letters
from servicekit.testing import wait_until
from servicekit.testing.helpers import ADMIN_POSTGRES_URL

from conftest import FIXED, note_count


def _consumed(event_type: str, outcome: str) -> float:
    return REGISTRY.get_sample_value(
        "bus_events_consumed_total", {"service": "kittest", "type": event_type, "outcome": outcome}
    ) or 0


def test_the_same_message_delivered_twice_has_one_effect(db, worker, bus):
    before = _consumed("kit.note.copied", "duplicate")
    event = bus.publish("kit.note.copied", {"id": str(uuid.uuid4()), "company_id": "c", "text": "hallo"})
    bus.publish("kit.note.copied", event.data, event_id=event.id)
    wait_until(lambda: _consumed("kit.note.copied", "duplicate") == before + 1)
    assert note_count(db, id=event.data["id"]) == 1


def test_a_failing_handler_ends_in_the_dlq_and_replay_brings_it_back(db, worker, bus, settings):
    FIXED["flaky"] = False
    poison = bus.publish("kit.flaky.happened", {"id": str(uuid.uuid4())})
    healthy = bus.publish("kit.note.copied", {"id": str(uuid.uuid4()), "company_id": "c", "text": "weiter"})

    wait_until(lambda: note_count(db, id=healthy.data["id"]) == 1)  # the flow goes on meanwhile
    wait_until(lambda: bus.queue_depth(settings.dead_letter_queue) == 1, timeout=15)
    assert _consumed("kit.flaky.happened", "retried") >= len(settings.retry_delays_ms)
    [letter] = list_dead_letters(settings)
    assert letter.message_id == poison.id and letter.type == "kit.flaky.happened" and letter.reason == "retries_exhausted"
    wait_until(lambda: bus.queue_depth(settings.dead_letter_queue) == 1)  # listing does not remove it

    FIXED["flaky"] = True  # the bug is fixed
    try:
        assert replay_dead_letters(settings) == 1
        wait_until(lambda: note_count(db, id=poison.data["id"]) == 1)
        assert bus.queue_depth(settings.dead_letter_queue) == 0
    finally:
        FIXED["flaky"] = False


def test_an_event_that_comes_too_early_waits_past_every_failure_limit_and_is_handled_later(
        db, worker, bus, settings):
    """NotYet is not a failure: the reply waits in the retry tiers far longer than the tiers and the
    attempts a failing handler gets, and is handled once the note it is about arrives."""
    note_id = str(uuid.uuid4())
    before = _consumed("kit.reply.happened", "waiting")
    reply = bus.publish("kit.reply.happened", {"id": str(uuid.uuid4()), "note_id": note_id})
    failure_limit = len(settings.retry_delays_ms) + 5  # the tiers, and BUS_MAX_ATTEMPTS
    wait_until(lambda: _consumed("kit.reply.happened", "waiting") > before + failure_limit, timeout=30)
    assert note_count(db, id=reply.data["id"]) == 0 and bus.queue_depth(settings.dead_letter_queue) == 0

    bus.publish("kit.note.copied", {"id": note_id, "company_id": "c", "text": "zuerst"})
    wait_until(lambda: note_count(db, id=reply.data["id"]) == 1)
    assert bus.queue_depth(settings.dead_letter_queue) == 0


def test_an_event_whose_prerequisite_never_comes_is_dead_lettered_after_the_patience(
        db, bus, settings, monkeypatch, request):
    monkeypatch.setenv("KITTEST_BUS_WAIT_PATIENCE_S", "1")
    request.getfixturevalue("worker")  # started with that patience
    orphan = bus.publish("kit.reply.happened", {"id": str(uuid.uuid4()), "note_id": str(uuid.uuid4())})
    wait_until(lambda: bus.queue_depth(settings.dead_letter_queue) == 1, timeout=15)
    [letter] = list_dead_letters(settings)
    assert (letter.message_id, letter.reason) == (orphan.id, "prerequisite_missing")
    assert note_count(db, id=orphan.data["id"]) == 0


def test_malformed_and_unknown_messages_go_straight_to_the_dlq(db, worker, bus, settings):
    bus.publish_raw(b"{not json", pika.BasicProperties(message_id="m1", type="kit.note.copied"),
                    routing_key="kit.note.copied")
    bus.publish_raw(b'{"id": "not-a-uuid", "data": {}}', routing_key="kit.note.copied")
    healthy = bus.publish("kit.note.copied", {"id": str(uuid.uuid4()), "company_id": "c", "text": "ok"})
    wait_until(lambda: note_count(db, id=healthy.data["id"]) == 1)
    wait_until(lambda: bus.queue_depth(settings.dead_letter_queue) == 2)
    assert worker.threads and all(t.is_alive() for t in worker.threads)


def _connects() -> float:
    return REGISTRY.get_sample_value("bus_consumer_connects_total", {"service": "kittest"}) or 0


def test_a_database_outage_holds_the_batch_instead_of_returning_it_to_the_queue(db, worker, bus, settings):
    """Each reconnect would hand the prefetched messages back, and each return counts towards the
    queue's delivery limit: a minute without the database would dead-letter healthy events."""
    if not db.is_postgres:
        pytest.skip("needs PostgreSQL to take one database away")
    name = db.engine.url.database
    admin = create_engine(ADMIN_POSTGRES_URL, isolation_level="AUTOCOMMIT")
    warm_up = bus.publish("kit.note.copied", {"id": str(uuid.uuid4()), "company_id": "c", "text": "jetzt"})
    wait_until(lambda: note_count(db, id=warm_up.data["id"]) == 1)  # this worker's consumer is connected
    connects = _connects()
    try:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false'))
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": name})
        events = [bus.publish("kit.note.copied", {"id": str(uuid.uuid4()), "company_id": "c", "text": "später"})
                  for _ in range(5)]
        time.sleep(3)  # the consumer holds the batch and retries with back-off
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true'))
        admin.dispose()
    for event in events:
        wait_until(lambda e=event: note_count(db, id=e.data["id"]) == 1, timeout=20)
    assert _connects() == connects, "the consumer reconnected, returning its messages to the queue"
    assert bus.queue_depth(settings.dead_letter_queue) == 0
