"""Exchanges and queues (DESIGN.md section 4), declared idempotently by every process that needs them.

- `wohnenplus.events`: durable topic exchange; routing key = event type. Its alternate exchange
  `wohnenplus.unrouted` keeps events that no service consumes (yet), so that `mandatory` publishing
  fails only when the topology itself is broken, not because nobody listens to `flat.offered`.
- `<service>.events`: quorum queue with a delivery limit; what it dead-letters goes through
  `wohnenplus.dlx` to `<service>.events.dlq`.
- `<service>.events.retry.<ms>ms`: one fixed-TTL queue per back-off tier (a per-message TTL only
  expires at the head of a queue); expired messages return to `<service>.events`.
"""

from __future__ import annotations

from pika.adapters.blocking_connection import BlockingChannel

from servicekit.settings import Settings

DELIVERY_LIMIT = 10


def unrouted_exchange(settings: Settings) -> str:
    return f"{settings.bus_prefix}wohnenplus.unrouted"


def declare_exchanges(channel: BlockingChannel, settings: Settings) -> None:
    unrouted = unrouted_exchange(settings)
    channel.exchange_declare(unrouted, "fanout", durable=True)
    channel.queue_declare(
        unrouted, durable=True, arguments={"x-max-length": 10_000, "x-overflow": "drop-head"}
    )
    channel.queue_bind(unrouted, unrouted)
    channel.exchange_declare(
        settings.exchange, "topic", durable=True, arguments={"alternate-exchange": unrouted}
    )
    channel.exchange_declare(settings.dead_letter_exchange, "direct", durable=True)


def declare_consumer(
    channel: BlockingChannel, settings: Settings, bindings: list[str], retry_delays_ms: list[int]
) -> None:
    declare_exchanges(channel, settings)
    channel.queue_declare(settings.dead_letter_queue, durable=True, arguments={"x-queue-type": "quorum"})
    channel.queue_bind(settings.dead_letter_queue, settings.dead_letter_exchange, routing_key=settings.queue)
    channel.queue_declare(
        settings.queue,
        durable=True,
        arguments={
            "x-queue-type": "quorum",
            "x-delivery-limit": DELIVERY_LIMIT,
            "x-dead-letter-exchange": settings.dead_letter_exchange,
            "x-dead-letter-routing-key": settings.queue,
        },
    )
    for key in bindings:
        channel.queue_bind(settings.queue, settings.exchange, routing_key=key)
    for delay in retry_delays_ms:
        channel.queue_declare(
            retry_queue(settings, delay),
            durable=True,
            arguments={
                "x-message-ttl": delay,
                "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": settings.queue,
            },
        )


def retry_queue(settings: Settings, delay_ms: int) -> str:
    return f"{settings.queue}.retry.{delay_ms}ms"


def all_names(settings: Settings, retry_delays_ms: list[int]) -> tuple[list[str], list[str]]:
    """(exchanges, queues) this settings' service uses — for cleaning up test brokers."""
    exchanges = [settings.exchange, settings.dead_letter_exchange, unrouted_exchange(settings)]
    queues = [settings.queue, settings.dead_letter_queue, unrouted_exchange(settings)]
    queues += [retry_queue(settings, d) for d in retry_delays_ms]
    return exchanges, queues
