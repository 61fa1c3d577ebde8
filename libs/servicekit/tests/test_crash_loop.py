"""Poison detection by real handling attempts, with a consumer process that is really killed
(tests/crash_worker.py): a quorum queue counts a delivery for every prefetched message a dying
worker hands back, so counting deliveries would dead-letter healthy events of a crash-looping
worker; the consumer counts the attempts that really started instead."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from servicekit.bus import policies, topology
from servicekit.bus.connection import close_quietly, connect
from servicekit.bus.consumer import Consumer
from servicekit.bus.deadletters import list_dead_letters
from servicekit.db.tables import handling_attempts
from servicekit.testing import wait_until

from conftest import notes


def note_count(db, **where) -> int:
    """Counted without a write lock: on SQLite the kit's sessions begin IMMEDIATE, and the watcher
    would queue behind the worker it is about to kill (WAL lets a plain read go past a writer)."""
    stmt = select(func.count()).select_from(notes)
    for key, value in where.items():
        stmt = stmt.where(notes.c[key] == value)
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        compiled = stmt.compile(db.engine, compile_kwargs={"literal_binds": True})
        cursor.execute(str(compiled))
        count = cursor.fetchone()[0]
        raw.rollback()
        return count
    finally:
        raw.close()

HERE = Path(__file__).parent
MAX_ATTEMPTS = 4


@pytest.fixture
def queues(settings):
    connection = connect(settings.bus_url, "test-crash-loop")
    try:
        channel = connection.channel()
        topology.declare_consumer(channel, settings, ["kit.crash.now", "kit.note.copied"],
                                  list(settings.retry_delays_ms))
        channel.queue_purge(settings.queue)
        channel.queue_purge(settings.dead_letter_queue)
    finally:
        close_quietly(connection)
    policies.apply([settings])
    yield settings


class Workers:
    """Consumer processes one after the other, forked by crash_worker.py's zygote."""

    def __init__(self, settings, tmp_path: Path) -> None:
        self.starts = tmp_path / "deadly-starts"
        env = dict(os.environ, DATABASE_URL=settings.database_url, BUS_URL=settings.bus_url,
                   BUS_PREFIX=settings.bus_prefix, BUS_RETRY_DELAYS_MS=",".join(map(str, settings.retry_delays_ms)),
                   BUS_MAX_ATTEMPTS=str(MAX_ATTEMPTS), LOG_LEVEL="WARNING", CRASH_WORKER_STARTS=str(self.starts))
        for name in ("KITTEST_DATABASE_URL", "KITTEST_BUS_PREFIX", "KITTEST_BUS_URL"):
            env.pop(name, None)
        self.log = tmp_path / "worker.log"
        self.zygote = subprocess.Popen([sys.executable, str(HERE / "crash_worker.py")], env=env, cwd=HERE, text=True,
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=open(self.log, "a"))
        self.exits: dict[int, int] = {}
        self.pid: int | None = None
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.zygote.stdout:
            word, *rest = line.split()
            if word == "exited":
                self.exits[int(rest[0])] = int(rest[1])
            elif word == "started":
                self.lines.put(rest[0])

    def start(self) -> int:
        self.zygote.stdin.write("start\n")
        self.zygote.stdin.flush()
        self.pid = int(self.lines.get(timeout=30))
        return self.pid

    def running(self) -> bool:
        return self.pid is not None and self.pid not in self.exits

    def exit_code(self) -> int | None:
        return self.exits.get(self.pid)

    def kill(self) -> None:
        os.kill(self.pid, signal.SIGKILL)
        wait_until(lambda: not self.running(), timeout=10)

    def stop(self) -> None:
        if self.running():
            os.kill(self.pid, signal.SIGTERM)
            try:
                wait_until(lambda: not self.running(), timeout=15)
            except AssertionError:
                self.kill()
        self.zygote.stdin.close()
        self.zygote.wait(10)

    def most_deliveries(self) -> int:
        """The highest x-delivery-count any message carried when it reached a consumer."""
        path = Path(str(self.starts) + ".deliveries")
        return max(map(int, path.read_text().split())) if path.exists() else 0

    def deadly_starts(self) -> int:
        return len(self.starts.read_text().splitlines()) if self.starts.exists() else 0


@pytest.fixture
def workers(settings, tmp_path):
    running = Workers(settings, tmp_path)
    yield running
    running.stop()


def _attempt_rows(db) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(handling_attempts))


def _depth(settings, name: str) -> int:
    """On a connection of its own: the test's probe connection sits idle for minutes meanwhile."""
    connection = connect(settings.bus_url, "test-crash-loop-depth")
    try:
        return connection.channel().queue_declare(name, passive=True).method.message_count
    finally:
        close_quietly(connection)


def test_a_worker_killed_30_times_while_holding_prefetched_messages_dead_letters_none(db, bus, queues, workers):
    settings = queues
    events = []

    def top_up():
        # Enough waiting that every life starts with a full prefetch to hold, however fast this
        # database lets the worker go (on SQLite a life handles dozens before its kill, on a busy
        # PostgreSQL a few); the final drain stays small.
        while len(events) - note_count(db) < 400:
            events.extend(bus.publish("kit.note.copied", {"id": str(uuid.uuid4()), "company_id": "c",
                                                          "text": f"n{len(events) + i}"}) for i in range(200))

    holding = []
    for _life in range(30):
        top_up()
        before = note_count(db)
        workers.start()
        # killed once it made some progress, so that the handler it interrupts is a different one
        # each time (a message whose handler is running at every kill would be poison by definition)
        wait_until(lambda: note_count(db) >= min(before + 1, len(events)), timeout=60, interval=0.02)
        # what it holds unacknowledged as it dies: not handled yet, and not ready in the queue
        holding.append(len(events) - note_count(db) - _depth(settings, settings.queue))
        workers.kill()
    assert sum(1 for held in holding if held >= 100) >= 25, holding  # it really held prefetched messages
    assert note_count(db) < len(events), "the kills came too late to mean anything"
    # returned again and again: a delivery count (the old x-delivery-limit of 10) would have given up
    assert workers.most_deliveries() > 10

    workers.start()
    wait_until(lambda: note_count(db) == len(events), timeout=120)
    wait_until(lambda: _attempt_rows(db) == 0, timeout=20)  # handling cleared every row
    assert _depth(settings, settings.dead_letter_queue) == 0
    for event in events[:: 40]:
        assert note_count(db, id=event.data["id"]) == 1


def test_a_message_that_kills_its_worker_every_time_ends_in_the_dlq_after_n_attempts(db, bus, queues, workers):
    settings = queues
    healthy = [bus.publish("kit.note.copied", {"id": str(uuid.uuid4()), "company_id": "c", "text": f"h{i}"})
               for i in range(10)]
    poison = bus.publish("kit.crash.now", {"id": str(uuid.uuid4())})
    healthy += [bus.publish("kit.note.copied", {"id": str(uuid.uuid4()), "company_id": "c", "text": f"h{i}"})
                for i in range(10, 20)]
    deaths, deadline = 0, time.monotonic() + 180
    while time.monotonic() < deadline and _depth(settings, settings.dead_letter_queue) == 0:
        workers.start()
        while workers.running() and _depth(settings, settings.dead_letter_queue) == 0:
            time.sleep(0.05)
        if not workers.running():
            assert workers.exit_code() == 17, workers.log.read_text()[-2000:]
            deaths += 1
    wait_until(lambda: note_count(db) == len(healthy), timeout=60)
    # N starts: its first delivery and N - 1 on its own; plus the one run among the others that came
    # back with it, which counts against none of them (it cannot tell which one killed the worker)
    assert deaths == workers.deadly_starts() == MAX_ATTEMPTS + 1
    [letter] = list_dead_letters(settings)
    assert (letter.message_id, letter.type, letter.reason) == (poison.id, "kit.crash.now", "attempts_exhausted")
    assert _attempt_rows(db) == 0  # given up on: a replay starts from nothing
    for event in healthy:
        assert note_count(db, id=event.data["id"]) == 1


def test_one_delivery_counts_once_however_often_its_batch_is_retried(db, settings):
    """The database going away mid-batch makes the consumer retry the same delivery; a commit whose
    answer was lost looks the same. Neither may count the attempt twice."""
    consumer = Consumer(db, settings, {})
    message = str(uuid.uuid4())
    with db.session() as session:
        counts = [consumer.record_attempt(session, message, "conn-a:7") for _ in range(3)]
        counts.append(consumer.record_attempt(session, message, "conn-b:1", "RuntimeError"))
        counts.append(consumer.record_attempt(session, message, "conn-b:1"))
        session.commit()
        row = session.execute(select(handling_attempts)).mappings().one()
    assert counts == [1, 1, 1, 2, 2]
    assert row["last_error"] == "RuntimeError" and row["consumer"] == consumer.consumer_name
