"""Inspecting and replaying a service's dead letters (the operators' `wohnenplus dlq ...`)."""

from __future__ import annotations

from dataclasses import dataclass

from servicekit.bus import topology
from servicekit.bus.connection import close_quietly, connect
from servicekit.bus.consumer import DEAD_LETTER_REASON, RETRY_HEADER
from servicekit.settings import Settings


@dataclass(frozen=True)
class DeadLetter:
    message_id: str | None
    type: str | None
    reason: str | None
    deaths: int
    size: int


def _describe(properties, body: bytes) -> DeadLetter:
    headers = properties.headers or {}
    deaths = headers.get("x-death") or []
    first = deaths[0] if deaths else {}
    # the consumer's own reason (it dead-letters by publishing), else the broker's (delivery_limit, ...)
    reason = headers.get(DEAD_LETTER_REASON) or first.get("reason")
    if isinstance(reason, bytes):
        reason = reason.decode()
    return DeadLetter(
        message_id=properties.message_id,
        type=properties.type,
        reason=reason,
        deaths=sum(int(d.get("count", 1)) for d in deaths) + (1 if DEAD_LETTER_REASON in headers else 0),
        size=len(body),
    )


def list_dead_letters(settings: Settings, limit: int = 100) -> list[DeadLetter]:
    """Peek: messages are fetched unacknowledged and return to the queue when the channel closes."""
    connection = connect(settings.bus_url, f"{settings.service}-dlq-list")
    try:
        channel = connection.channel()
        topology.declare_consumer(channel, settings, [], list(settings.retry_delays_ms))
        seen: list[DeadLetter] = []
        while len(seen) < limit:
            method, properties, body = channel.basic_get(settings.dead_letter_queue, auto_ack=False)
            if method is None:
                break
            seen.append(_describe(properties, body))
        return seen
    finally:
        close_quietly(connection)


def replay_dead_letters(settings: Settings, message_id: str | None = None, limit: int = 10_000) -> int:
    """Move dead letters back to the service's own queue (not the topic exchange, so no other
    service sees them twice). Each is acked in the DLQ only after the broker confirmed the copy."""
    connection = connect(settings.bus_url, f"{settings.service}-dlq-replay")
    replayed = 0
    try:
        channel = connection.channel()
        topology.declare_consumer(channel, settings, [], list(settings.retry_delays_ms))
        publisher = connection.channel()
        publisher.confirm_delivery()
        skipped = []
        for _ in range(limit):
            method, properties, body = channel.basic_get(settings.dead_letter_queue, auto_ack=False)
            if method is None:
                break
            if message_id is not None and properties.message_id != message_id:
                skipped.append(method.delivery_tag)
                continue
            gone = ("x-death", RETRY_HEADER, DEAD_LETTER_REASON, "x-first-dead-letter-queue", "x-delivery-count")
            headers = {k: v for k, v in (properties.headers or {}).items() if k not in gone}
            headers["x-replayed"] = True
            properties.headers = headers
            publisher.basic_publish("", settings.queue, body, properties=properties, mandatory=True)
            channel.basic_ack(method.delivery_tag)
            replayed += 1
        for tag in skipped:
            channel.basic_nack(tag, requeue=True)
        return replayed
    finally:
        close_quietly(connection)
