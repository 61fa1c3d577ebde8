"""The worker's queue-depth gauge (`bus_queue_messages`), which the DLQ and queue-growth alerts read."""

from __future__ import annotations

import dataclasses
import threading
import uuid

import pika
from prometheus_client import REGISTRY

from servicekit.bus import topology
from servicekit.bus.connection import close_quietly, connect
from servicekit.testing import wait_until
from servicekit.worker import watch_queues


def _depth(service: str, queue: str) -> float | None:
    return REGISTRY.get_sample_value("bus_queue_messages", {"service": service, "queue": queue})


def test_watch_queues_reports_dead_letters_and_waits_for_queues_not_declared_yet(settings):
    # A service name of its own, so the consumer fixtures of other tests never see these queues.
    watched = dataclasses.replace(settings, service=f"qwatch{uuid.uuid4().hex[:6]}")
    stop = threading.Event()
    thread = threading.Thread(target=watch_queues, args=(watched, stop), kwargs={"every": 0.1}, daemon=True)
    thread.start()
    connection = connect(watched.bus_url, "test-queue-watch")
    try:
        wait_until(lambda: thread.is_alive(), timeout=2)
        assert _depth(watched.service, "dlq") is None  # nothing declared yet: no sample, no crash
        channel = connection.channel()
        topology.declare_consumer(channel, watched, [], list(watched.retry_delays_ms))
        wait_until(lambda: _depth(watched.service, "dlq") == 0)
        for _ in range(3):
            channel.basic_publish("", watched.dead_letter_queue, b"{}", pika.BasicProperties(delivery_mode=2))
        channel.basic_publish("", watched.queue, b"{}", pika.BasicProperties(delivery_mode=2))
        wait_until(lambda: _depth(watched.service, "dlq") == 3)
        wait_until(lambda: _depth(watched.service, "events") == 1)
        assert _depth(watched.service, "retry") == 0
        assert thread.is_alive()
    finally:
        stop.set()
        thread.join(5)
        _, queues = topology.all_names(watched, list(watched.retry_delays_ms))
        channel = connection.channel()
        for name in queues:
            if name != topology.unrouted_exchange(watched):  # shared with the session's other tests
                channel.queue_delete(name)
        close_quietly(connection)
    assert not thread.is_alive()
