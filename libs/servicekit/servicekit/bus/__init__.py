"""Events on RabbitMQ: envelope, topology, outbox relay, consumer with inbox, dead letters."""

from servicekit.bus.envelope import Event

__all__ = ["Event"]
