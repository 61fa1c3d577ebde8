"""After the load: is every event through? Queue depths of each service's queues (events, retry
tiers, dead letters) under this run's broker prefix, by passive declare, and each database's
outbox rows not yet published. Back to 0 means nothing is stuck; a dead letter is a failure."""

from __future__ import annotations

import dataclasses
import time

import pika
from sqlalchemy import create_engine, text

from servicekit.bus import topology
from servicekit.bus.connection import close_quietly, connect


def queue_names(system) -> dict[str, list[str]]:
    """Each consuming service's own queues; the retry tiers follow the delays the system runs with."""
    delays = [int(ms) for ms in system.env["BUS_RETRY_DELAYS_MS"].split(",") if ms]
    names = {}
    for service in system.services:
        settings = dataclasses.replace(system.settings, service=service)
        names[service] = [settings.queue, *(topology.retry_queue(settings, d) for d in delays),
                          settings.dead_letter_queue]
    return names


def depths(system) -> dict[str, int]:
    connection = connect(system.settings.bus_url, "soak-drain-check")
    try:
        found = {}
        for queues in queue_names(system).values():
            for queue in queues:
                channel = connection.channel()
                try:
                    found[queue.removeprefix(system.prefix)] = channel.queue_declare(queue, passive=True).method.message_count
                    channel.close()
                except pika.exceptions.ChannelClosedByBroker:  # never declared: this service consumes nothing
                    pass
        return found
    finally:
        close_quietly(connection)


def outbox_pending(system) -> dict[str, int]:
    pending = {}
    for service in system.services:
        engine = create_engine(system.env[f"{service.upper()}_DATABASE_URL"])
        try:
            with engine.connect() as connection:
                pending[service] = connection.execute(
                    text("SELECT count(*) FROM outbox WHERE published_at IS NULL")).scalar_one()
        finally:
            engine.dispose()
    return pending


def wait_drained(system, timeout: float = 180.0, interval: float = 2.0) -> dict:
    """Poll until every queue and outbox is empty twice in a row (or time runs out); return the last view."""
    started = time.monotonic()
    empty_in_a_row = 0
    while True:
        queues, outboxes = depths(system), outbox_pending(system)
        empty = not any(queues.values()) and not any(outboxes.values())
        empty_in_a_row = empty_in_a_row + 1 if empty else 0
        if empty_in_a_row >= 2 or time.monotonic() - started > timeout:
            return {"queues": queues, "outbox_pending": outboxes, "drained": empty_in_a_row >= 2,
                    "seconds": round(time.monotonic() - started, 1)}
        time.sleep(interval)
