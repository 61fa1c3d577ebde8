"""Event pipeline benchmark: outbox relay and outbox → RabbitMQ → consumer-with-inbox, each as a
ratio of raw pika publishing with publisher confirms to the same broker, measured in the same run.

    .venv/bin/python benchmarks/bus_bench.py [--messages 5000] [--out benchmarks/RESULTS.md]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import threading
import time
import uuid
from datetime import datetime, timezone

import pika
from sqlalchemy import func, insert, select

from servicekit.bus import topology
from servicekit.bus.connection import connect
from servicekit.bus.consumer import Consumer
from servicekit.bus.envelope import Event
from servicekit.bus.relay import OutboxRelay
from servicekit.db import Database, inbox, kit_metadata, outbox
from servicekit.settings import Settings
from servicekit.testing.helpers import (
    create_postgres_database,
    delete_broker_names,
    drop_postgres_database,
    postgres_available,
)

PAYLOAD = {"text": "x" * 900}  # about 1 KB per envelope, as in the engineering notes' figures


def _bench_settings(run_id: str, database_url: str) -> Settings:
    base = Settings.from_env("bench", 0, 0)
    return dataclasses.replace(base, database_url=database_url, bus_prefix=f"bench.{run_id}.")


def raw_pika(settings: Settings, n: int) -> float:
    connection = connect(settings.bus_url, "bench-raw")
    channel = connection.channel()
    channel.confirm_delivery()
    body = Event(type="bench.raw.sent", data=PAYLOAD, source="bench", correlation_id="c").to_json().encode()
    started = time.perf_counter()
    for _ in range(n):
        channel.basic_publish(settings.exchange, "bench.raw.sent", body,
                              properties=pika.BasicProperties(delivery_mode=2, message_id=str(uuid.uuid4())),
                              mandatory=True)
    elapsed = time.perf_counter() - started
    connection.close()
    return n / elapsed


def _fill_outbox(db: Database, n: int, event_type: str) -> None:
    now = datetime.now(timezone.utc)
    rows = []
    for _ in range(n):
        event = Event(type=event_type, data=PAYLOAD, source="bench", correlation_id="c")
        rows.append({"id": event.id, "type": event.type, "correlation_id": "c", "body": event.to_json(),
                     "created_at": now, "attempts": 0})
    with db.session() as session:
        session.execute(insert(outbox), rows)
        session.commit()


def relay_only(db: Database, settings: Settings, n: int) -> float:
    _fill_outbox(db, n, "bench.relay.sent")
    relay = OutboxRelay(db, settings)
    started = time.perf_counter()
    published = 0
    while published < n:
        published += relay.publish_batch()
    elapsed = time.perf_counter() - started
    relay.close()
    return n / elapsed


def pipeline(db: Database, settings: Settings, n: int, count_attempts: bool = True) -> float:
    """Rows already in the outbox → relay → broker → consumer (inbox row + ack per message)."""
    consumer = Consumer(db, settings, {"bench.pipeline.sent": lambda uow, event: None}, prefetch=200,
                        count_attempts=count_attempts)
    connection = connect(settings.bus_url, "bench-setup")
    topology.declare_consumer(connection.channel(), settings, sorted(consumer.handlers), list(settings.retry_delays_ms))
    connection.close()
    _fill_outbox(db, n, "bench.pipeline.sent")
    stop = threading.Event()
    relay = OutboxRelay(db, settings)
    started = time.perf_counter()
    threads = [threading.Thread(target=relay.run, args=(stop,)), threading.Thread(target=consumer.run, args=(stop,))]
    for thread in threads:
        thread.start()
    while True:
        with db.session() as session:
            if session.scalar(select(func.count()).select_from(inbox)) >= n:
                break
        time.sleep(0.02)
    elapsed = time.perf_counter() - started
    stop.set()
    for thread in threads:
        thread.join()
    return n / elapsed


def _consume_until(db: Database, consumer: Consumer, n: int) -> float:
    stop = threading.Event()
    thread = threading.Thread(target=consumer.run, args=(stop,))
    started = time.perf_counter()
    thread.start()
    while True:
        with db.session() as session:
            if session.scalar(select(func.count()).select_from(inbox)) >= n:
                break
        time.sleep(0.02)
    elapsed = time.perf_counter() - started
    stop.set()
    thread.join()
    return n / elapsed


def redelivered(db: Database, settings: Settings, n: int, count_attempts: bool) -> float:
    """n messages that all come back redelivered (a worker died holding them) → consumer. With
    attempt accounting each is recorded and handled on its own; without, they go in batches."""
    with db.session() as session:
        session.execute(inbox.delete())
        session.commit()
    handlers = {"bench.redelivered.sent": lambda uow, event: None}
    consumer = Consumer(db, settings, handlers, prefetch=200, count_attempts=count_attempts)
    connection = connect(settings.bus_url, "bench-setup")
    channel = connection.channel()
    topology.declare_consumer(channel, settings, sorted(handlers), list(settings.retry_delays_ms))
    channel.confirm_delivery()
    for _ in range(n):
        event = Event(type="bench.redelivered.sent", data=PAYLOAD, source="bench", correlation_id="c")
        channel.basic_publish("", settings.queue, event.to_json().encode(), properties=event.properties())
    holder = connection.channel()  # takes them all and dies without an ack: every one comes back
    holder.basic_qos(prefetch_count=n)
    taken = []
    holder.basic_consume(settings.queue, lambda *delivery: taken.append(1))
    while len(taken) < n:
        connection.process_data_events(time_limit=0.1)
    holder.close()
    connection.close()
    return _consume_until(db, consumer, n)


def main() -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=5000)
    args = parser.parse_args()
    run_id = uuid.uuid4().hex[:8]
    db_name = f"wp_bench_{run_id}"
    url = create_postgres_database(db_name) if postgres_available() else f"sqlite:////tmp/{db_name}.db"
    settings = _bench_settings(run_id, url)
    db = Database(url)
    kit_metadata.create_all(db.engine)  # the kit's own tables in a throwaway database
    connection = connect(settings.bus_url, "bench-setup")
    channel = connection.channel()
    topology.declare_exchanges(channel, settings)
    # The raw baseline publishes to a quorum queue, as the services' queues are.
    topology.declare_consumer(channel, dataclasses.replace(settings, service="bench-raw"), ["bench.raw.sent"], [])
    connection.close()
    try:
        n = args.messages
        raw = raw_pika(settings, n)
        relay = relay_only(db, settings, n)
        piped = pipeline(db, settings, n)
        # the cost of counting handling attempts, before/after in this run: the normal path (fresh
        # deliveries: nothing is counted), and all messages redelivered (each counted and handled alone)
        with db.session() as session:
            session.execute(inbox.delete())
            session.commit()
        piped_before = pipeline(db, settings, n, count_attempts=False)
        m = max(500, n // 5)
        back_before = redelivered(db, settings, m, count_attempts=False)
        back_after = redelivered(db, settings, m, count_attempts=True)
    finally:
        db.dispose()
        if url.startswith("postgresql"):
            drop_postgres_database(db_name)
        delete_broker_names(settings)
        delete_broker_names(dataclasses.replace(settings, service="bench-raw"))
    result = {
        "benchmark": "event pipeline",
        "database": "postgresql" if url.startswith("postgresql") else "sqlite",
        "messages": n,
        "raw_pika_confirms_msg_per_s": round(raw),
        "outbox_relay_msg_per_s": round(relay),
        "outbox_to_consumer_inbox_msg_per_s": round(piped),
        "relay_ratio": round(relay / raw, 2),
        "pipeline_ratio": round(piped / raw, 2),
        "target_pipeline_ratio": 0.5,
        "attempt_accounting": {
            "pipeline_without_msg_per_s": round(piped_before),
            "pipeline_ratio_with_to_without": round(piped / piped_before, 2),
            "redelivered_messages": m,
            "redelivered_without_msg_per_s": round(back_before),
            "redelivered_with_msg_per_s": round(back_after),
            "redelivered_ratio_with_to_without": round(back_after / back_before, 2),
        },
    }
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
