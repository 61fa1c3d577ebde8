"""A consumer process for tests/test_crash_loop.py: the kit's Consumer with two handlers, one slow
enough that the process always holds prefetched messages, one that kills its process every time.
Configured by the environment (DATABASE_URL, BUS_URL, BUS_PREFIX, BUS_MAX_ATTEMPTS, ...).

It runs as a zygote: imports once, then forks a fresh consumer process for every "start" line on
stdin and answers "started PID", later "exited PID CODE" — so that the test's 30 lives do not each
pay a second of imports."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

from sqlalchemy import Column, MetaData, String, Table, insert

from servicekit.bus.consumer import Consumer
from servicekit.db.database import Database
from servicekit.settings import Settings

notes = Table("notes", MetaData(), Column("id", String(36), primary_key=True),
              Column("company_id", String(36), nullable=False), Column("text", String(200), nullable=False))
SLOW_S = float(os.environ.get("CRASH_WORKER_SLOW_S", "0.01"))
STARTS = os.environ["CRASH_WORKER_STARTS"]  # one line per start of the deadly handler


def copy_note(unit, event):
    time.sleep(SLOW_S)
    unit.session.execute(insert(notes).values(id=event.data["id"], company_id="c", text=event.data["text"]))


def crash(unit, event):
    with open(STARTS, "a") as starts:
        starts.write(f"{event.id}\n")
    os._exit(17)  # as a segfault or the OOM killer would: no clean-up, no ack, no rollback


class CountingConsumer(Consumer):
    """Notes the highest delivery count the broker reported: what a delivery limit would have judged by."""

    def _work_off(self, connection, channel, confirmed_channel, batch, stop):
        counts = [int((properties.headers or {}).get("x-delivery-count") or 0) for _, properties, _ in batch]
        with open(STARTS + ".deliveries", "a") as out:
            out.write(f"{max(counts, default=0)}\n")
        return super()._work_off(connection, channel, confirmed_channel, batch, stop)


def consume() -> None:
    settings = Settings.from_env("kittest", 0, 0)
    db = Database(settings.database_url)
    consumer = CountingConsumer(db, settings, {"kit.note.copied": copy_note, "kit.crash.now": crash}, batch_size=5)  # small batches: progress in small steps between the kills
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    consumer.run(stop)


def main() -> None:
    lock = threading.Lock()

    def say(line: str) -> None:
        with lock:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()

    def reap(pid: int) -> None:
        _, status = os.waitpid(pid, 0)
        say(f"exited {pid} {os.waitstatus_to_exitcode(status)}")

    for line in sys.stdin:
        if line.strip() != "start":
            continue
        pid = os.fork()
        if pid == 0:  # the consumer: nothing of the zygote's (no connection, no thread) is used here
            os.dup2(2, 1)  # its logs go to the log file, stdout is the zygote's answers
            try:
                consume()
            finally:
                os._exit(0)
        say(f"started {pid}")
        threading.Thread(target=reap, args=(pid,), daemon=True).start()


if __name__ == "__main__":
    main()
