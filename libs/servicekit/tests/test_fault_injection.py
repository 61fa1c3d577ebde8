"""The relay's fault-injection switch: off by default; when set, the process dies between the
broker's confirm and marking the rows sent — and the inbox absorbs the duplicate that follows."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid
from collections import Counter

import pytest
from sqlalchemy import func, select

from servicekit.bus.relay import FAULT_EXIT_CODE, FAULT_SWITCH, CrashAfterPublish, OutboxRelay
from servicekit.bus.consumer import Consumer
from servicekit.db import UnitOfWork, outbox
from servicekit.testing import wait_until

from conftest import _note_added, note_count

# A relay process of its own, so that the hard exit ends only that process.
RELAY = textwrap.dedent("""
    import dataclasses, sys, threading
    from servicekit.bus.relay import OutboxRelay
    from servicekit.db import Database
    from servicekit.settings import Settings

    settings = dataclasses.replace(Settings.from_env("kittest", 0, 0), database_url=sys.argv[1], bus_prefix=sys.argv[2])
    OutboxRelay(Database(settings.database_url), settings, batch_size=int(sys.argv[3])).run(threading.Event())
""")


def _pending(db) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None)))


def _run_relay(settings, switch: str, batch_size: int = 200) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != FAULT_SWITCH}
    env[FAULT_SWITCH] = switch
    return subprocess.run([sys.executable, "-c", RELAY, settings.database_url, settings.bus_prefix, str(batch_size)],
                          env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("value", [None, "", "0", " "])
def test_the_switch_is_off_unless_set(value):
    assert not CrashAfterPublish(value).armed


def test_a_fraction_is_a_probability_and_a_whole_number_a_batch_count():
    assert CrashAfterPublish("0.25").probability == 0.25
    third = CrashAfterPublish("3")
    assert [third.now() for _ in range(4)] == [False, False, True, False]
    never, always = CrashAfterPublish("0.000001"), CrashAfterPublish("0.999999")
    assert sum(never.now() for _ in range(1000)) < 5 and sum(always.now() for _ in range(1000)) > 995


@pytest.mark.parametrize("value", ["yes", "-0.5", "1.5", "nan-ish"])
def test_a_value_that_means_nothing_stops_the_relay_at_start(value, monkeypatch, db, settings):
    monkeypatch.setenv(FAULT_SWITCH, value)
    with pytest.raises(ValueError, match=FAULT_SWITCH):
        OutboxRelay(db, settings)


def test_an_unset_switch_never_crashes_the_relay(db, settings, bus, monkeypatch):
    monkeypatch.delenv(FAULT_SWITCH, raising=False)
    with UnitOfWork(db, "kittest") as unit:
        unit.publish("kit.note.added", {"i": 1})
        unit.commit()
    relay = OutboxRelay(db, settings)
    assert relay.publish_batch() == 1
    relay.close()
    assert _pending(db) == 0


def test_the_relay_dies_after_the_confirm_and_the_inbox_absorbs_the_duplicate(db, settings, bus):
    capture = bus.capture("kit.#")
    with UnitOfWork(db, "kittest") as unit:
        events = [unit.publish("kit.note.copied", {"id": str(uuid.uuid4()), "company_id": "c", "text": f"n{i}"})
                  for i in range(3)]
        unit.commit()

    crashed = _run_relay(settings, "1")
    assert crashed.returncode == FAULT_EXIT_CODE, crashed.stderr[-2000:]
    # The broker has every message, yet no row was marked sent.
    wait_until(lambda: len(capture.of_type("kit.note.copied")) == 3)
    assert _pending(db) == 3

    # A relay without the switch publishes the same rows again, under the same message ids.
    relay = OutboxRelay(db, settings)
    assert relay.publish_batch() == 3
    relay.close()
    wait_until(lambda: len(capture.of_type("kit.note.copied")) == 6)
    assert Counter(e["id"] for e in capture.of_type("kit.note.copied")) == {e.id: 2 for e in events}
    assert _pending(db) == 0

    # Each copy through the consumer's inbox: one effect per event, the second copy a duplicate.
    consumer = Consumer(db, settings, {"kit.note.copied": _note_added})
    bodies = [e.to_json().encode() for e in events]
    assert [o for o, _ in consumer.process_batch(bodies)] == ["handled"] * 3
    assert [o for o, _ in consumer.process_batch(bodies)] == ["duplicate"] * 3
    assert all(note_count(db, id=e.data["id"]) == 1 for e in events)


def test_a_batch_count_lets_earlier_batches_through(db, settings, bus):
    with UnitOfWork(db, "kittest") as unit:
        for i in range(5):
            unit.publish("kit.note.added", {"i": i})
        unit.commit()
    crashed = _run_relay(settings, "2", batch_size=2)  # batch 1 marked, batch 2 published then crash
    assert crashed.returncode == FAULT_EXIT_CODE, crashed.stderr[-2000:]
    assert _pending(db) == 3
