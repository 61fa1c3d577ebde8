"""Exchanges and queues (DESIGN.md section 4), declared idempotently by every process that needs them.

- `wohnenplus.events`: durable topic exchange; routing key = event type. Its alternate exchange
  `wohnenplus.unrouted` keeps events that no service consumes (yet), so that `mandatory` publishing
  fails only when the topology itself is broken, not because nobody listens to `flat.offered`.
- `<service>.events`: quorum queue; what it dead-letters goes through `wohnenplus.dlx` to
  `<service>.events.dlq` (a quorum queue too).
- `<service>.events.retry.<ms>ms`: one fixed-TTL quorum queue per back-off tier (a per-message TTL
  only expires at the head of a queue); expired messages return to `<service>.events`, at least once.

Only `x-queue-type` is a queue argument. Delivery limit, dead-letter target and strategy, overflow and
the tiers' TTL are policies (servicekit.bus.policies): an argument would win over a policy and could
only be changed by deleting the queue. Queues declared by an older kit with those arguments still
work — declaring them again is refused by the broker ("inequivalent arg"), so they are then only
checked to exist, and `wohnenplus bus migrate` moves them to the new form without losing a message.
"""

from __future__ import annotations

import structlog
from pika.adapters.blocking_connection import BlockingChannel
from pika.exceptions import ChannelClosedByBroker

from servicekit.bus.policies import DELIVERY_LIMIT, retry_queue  # noqa: F401 (re-exported)
from servicekit.settings import Settings

log = structlog.get_logger("servicekit.topology")
QUORUM = {"x-queue-type": "quorum"}
PRECONDITION_FAILED = 406


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


def declare_queue(channel: BlockingChannel, name: str) -> bool:
    """Declare a durable quorum queue on a channel of its own; False if it exists with arguments of
    an older kit (then it is left as it is, see `wohnenplus bus migrate`)."""
    own = channel.connection.channel()
    try:
        own.queue_declare(name, durable=True, arguments=QUORUM)
        own.close()
        return True
    except ChannelClosedByBroker as exc:
        if exc.reply_code != PRECONDITION_FAILED:
            raise
    check = channel.connection.channel()
    check.queue_declare(name, passive=True)  # it exists (else this raises): the old form keeps working
    check.close()
    log.warning("topology.legacy_queue", queue=name, hint="wohnenplus bus migrate")
    return False


def declare_consumer(
    channel: BlockingChannel, settings: Settings, bindings: list[str], retry_delays_ms: list[int]
) -> list[str]:
    """Exchanges, the service's queue, its DLQ and retry tiers, and the bindings. Returns the
    queues that still carry an older kit's arguments."""
    declare_exchanges(channel, settings)
    legacy = []
    names = [settings.dead_letter_queue, settings.queue] + [retry_queue(settings, d) for d in retry_delays_ms]
    for name in names:
        if not declare_queue(channel, name):
            legacy.append(name)
    channel.queue_bind(settings.dead_letter_queue, settings.dead_letter_exchange, routing_key=settings.queue)
    for key in bindings:
        channel.queue_bind(settings.queue, settings.exchange, routing_key=key)
    return legacy


def all_names(settings: Settings, retry_delays_ms: list[int]) -> tuple[list[str], list[str]]:
    """(exchanges, queues) this settings' service uses — for cleaning up test brokers."""
    exchanges = [settings.exchange, settings.dead_letter_exchange, unrouted_exchange(settings)]
    queues = [settings.queue, settings.dead_letter_queue, unrouted_exchange(settings)]
    queues += [retry_queue(settings, d) for d in retry_delays_ms]
    return exchanges, queues
