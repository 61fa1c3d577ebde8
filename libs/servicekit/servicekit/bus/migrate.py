"""`wohnenplus bus migrate`: queues declared by an older kit — with `x-delivery-limit`,
`x-dead-letter-*` or `x-message-ttl` as arguments, retry tiers as classic queues — become quorum
queues whose settings come from policies. A queue argument can only go with the queue, so each such
queue is drained, deleted and declared again, losing nothing:

1. a holding queue `<queue>.migrating` is declared and bound like the queue, so that events
   published meanwhile land there too (a copy in both is a duplicate the inbox absorbs);
2. every message moves to the holding queue, acked in the old one only after the broker confirmed
   the copy (properties and headers as they were);
3. the old queue is deleted (what was published to it after the move has its copy in the holding queue);
4. the queue is declared anew (quorum, policy) with its bindings, the messages move back, the
   holding queue goes.

Stop the service's workers first: a consumer's unacknowledged messages would go with the queue
(the command refuses while the queue has consumers).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pika.exceptions import ChannelClosedByBroker

from servicekit.bus import policies, topology
from servicekit.bus.connection import close_quietly, connect
from servicekit.settings import Settings


class MigrationRefused(RuntimeError):
    pass


@dataclass
class Migrated:
    queue: str
    moved: int = 0
    notes: list[str] = field(default_factory=list)


def _is_current(connection, name: str) -> bool | None:
    """True: declared as this kit declares it; False: an older kit's arguments; None: not there."""
    channel = connection.channel()
    try:
        channel.queue_declare(name, passive=True)
    except ChannelClosedByBroker:
        return None
    channel = connection.channel()
    try:
        channel.queue_declare(name, durable=True, arguments=topology.QUORUM)
        channel.close()
        return True
    except ChannelClosedByBroker as exc:
        if exc.reply_code != topology.PRECONDITION_FAILED:
            raise
        return False


def _move(connection, source: str, target: str) -> int:
    """Move every message, each acked in `source` after the broker confirmed its copy in `target`."""
    getter = connection.channel()
    publisher = connection.channel()
    publisher.confirm_delivery()
    moved = 0
    while True:
        method, properties, body = getter.basic_get(source, auto_ack=False)
        if method is None:
            return moved
        headers = {k: v for k, v in (properties.headers or {}).items() if k != "x-delivery-count"}
        properties.headers = headers
        publisher.basic_publish("", target, body, properties=properties, mandatory=True)
        getter.basic_ack(method.delivery_tag)
        moved += 1


def migrate_queue(settings: Settings, name: str, bindings: list[str]) -> Migrated:
    result = Migrated(name)
    connection = connect(settings.bus_url, f"{settings.service}-bus-migrate")
    try:
        state = _is_current(connection, name)
        if state is None:
            result.notes.append("not there yet: declared new")
            topology.declare_queue(connection.channel(), name)
            return result
        if state:
            result.notes.append("already current")
            return result
        consumers = connection.channel().queue_declare(name, passive=True).method.consumer_count
        if consumers:
            raise MigrationRefused(f"{name} has {consumers} consumer(s): stop the service's workers first")
        holding = f"{name}.migrating"
        channel = connection.channel()
        channel.queue_declare(holding, durable=True, arguments=topology.QUORUM)
        for key in bindings:
            channel.queue_bind(holding, settings.exchange, routing_key=key)
        result.moved = _move(connection, name, holding)
        # Quorum queues refuse `if-empty` deletes. Nothing is lost without it: whatever was published
        # to the queue after the last move has its copy in the bound holding queue.
        connection.channel().queue_delete(name)
        channel = connection.channel()
        channel.queue_declare(name, durable=True, arguments=topology.QUORUM)
        for key in bindings:
            channel.queue_bind(name, settings.exchange, routing_key=key)
        for key in bindings:
            channel.queue_unbind(holding, settings.exchange, routing_key=key)
        _move(connection, holding, name)  # unbound now: nothing arrives in it any more
        if connection.channel().queue_declare(holding, passive=True).method.message_count:
            raise MigrationRefused(f"{holding} still holds messages: left in place, run the command again")
        connection.channel().queue_delete(holding)
        result.notes.append(f"moved {result.moved} message(s) through {holding}")
        return result
    finally:
        close_quietly(connection)


def migrate_service(settings: Settings, bindings: list[str]) -> list[Migrated]:
    """The service's queue, its retry tiers and its DLQ; then its policies and topology."""
    results = [migrate_queue(settings, settings.queue, bindings)]
    for delay in settings.retry_delays_ms:
        results.append(migrate_queue(settings, topology.retry_queue(settings, delay), []))
    results.append(migrate_queue(settings, settings.dead_letter_queue, []))
    policies.apply([settings])
    connection = connect(settings.bus_url, f"{settings.service}-bus-migrate")
    try:
        topology.declare_consumer(connection.channel(), settings, bindings, list(settings.retry_delays_ms))
    finally:
        close_quietly(connection)
    return results


def declare_legacy(settings: Settings, bindings: list[str], delivery_limit: int = 10) -> None:
    """The queues as the kit declared them before policies (for tests of the migration)."""
    connection = connect(settings.bus_url, "legacy-declare")
    try:
        channel = connection.channel()
        topology.declare_exchanges(channel, settings)
        channel.queue_declare(settings.dead_letter_queue, durable=True, arguments=topology.QUORUM)
        channel.queue_bind(settings.dead_letter_queue, settings.dead_letter_exchange, routing_key=settings.queue)
        channel.queue_declare(settings.queue, durable=True, arguments={
            "x-queue-type": "quorum", "x-delivery-limit": delivery_limit,
            "x-dead-letter-exchange": settings.dead_letter_exchange, "x-dead-letter-routing-key": settings.queue})
        for key in bindings:
            channel.queue_bind(settings.queue, settings.exchange, routing_key=key)
        for delay in settings.retry_delays_ms:
            channel.queue_declare(topology.retry_queue(settings, delay), durable=True, arguments={
                "x-message-ttl": delay, "x-dead-letter-exchange": "", "x-dead-letter-routing-key": settings.queue})
    finally:
        close_quietly(connection)
