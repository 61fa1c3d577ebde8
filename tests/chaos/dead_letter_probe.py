"""`python -m chaos.dead_letter_probe` (from tests/): how many messages rejected right after a broker
restart reach the dead-letter queue, with the kit's queue declarations, on a private node.

The kit declares quorum queues with RabbitMQ's default at-most-once dead-lettering; a message
rejected while the dead-letter queue is still recovering is dropped. With
`x-dead-letter-strategy: at-least-once` and `x-overflow: reject-publish` (RabbitMQ >= 3.10) it is
kept (`--at-least-once` shows that)."""

from __future__ import annotations

import argparse
import dataclasses
import time
import uuid

import pika

from chaos.infra import PrivateRabbit
from servicekit.bus import topology
from servicekit.settings import Settings


def trial(rabbit: PrivateRabbit, n: int, at_least_once: bool) -> int:
    settings = dataclasses.replace(Settings.from_env("probe", 0, 0), bus_url=rabbit.url,
                                   bus_prefix=f"probe.{uuid.uuid4().hex[:6]}.")
    connection = pika.BlockingConnection(pika.URLParameters(rabbit.url))
    channel = connection.channel()
    if at_least_once:
        topology.declare_exchanges(channel, settings)
        channel.queue_declare(settings.dead_letter_queue, durable=True, arguments={"x-queue-type": "quorum"})
        channel.queue_bind(settings.dead_letter_queue, settings.dead_letter_exchange, routing_key=settings.queue)
        channel.queue_declare(settings.queue, durable=True, arguments={
            "x-queue-type": "quorum", "x-delivery-limit": topology.DELIVERY_LIMIT,
            "x-dead-letter-exchange": settings.dead_letter_exchange, "x-dead-letter-routing-key": settings.queue,
            "x-dead-letter-strategy": "at-least-once", "x-overflow": "reject-publish"})
    else:
        topology.declare_consumer(channel, settings, [], [])
    channel.confirm_delivery()
    for i in range(n):
        channel.basic_publish("", settings.queue, b"{}", pika.BasicProperties(delivery_mode=2, message_id=str(i)))
    connection.close()
    rabbit.stop()
    rabbit.start()  # returns as soon as the node takes a connection: consumers reconnect then too
    connection = pika.BlockingConnection(pika.URLParameters(rabbit.url))
    channel = connection.channel()
    rejected, deadline = 0, time.monotonic() + 30
    while rejected < n and time.monotonic() < deadline:
        method, _properties, _body = channel.basic_get(settings.queue)
        if method is not None:
            channel.basic_reject(method.delivery_tag, requeue=False)
            rejected += 1
    connection.process_data_events(time_limit=3)
    kept = channel.queue_declare(settings.dead_letter_queue, passive=True).method.message_count
    connection.close()
    return kept


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=200)
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--at-least-once", action="store_true")
    args = parser.parse_args()
    rabbit = PrivateRabbit()
    try:
        rabbit.start()
        for t in range(args.trials):
            kept = trial(rabbit, args.n, args.at_least_once)
            print(f"trial {t + 1}: rejected {args.n} right after the restart, {kept} in the DLQ, {args.n - kept} lost")
    finally:
        rabbit.teardown()


if __name__ == "__main__":
    main()
