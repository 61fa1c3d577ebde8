"""Publishing a batch with all its confirms outstanding at once ("streaming confirms").

`BlockingChannel.basic_publish` in confirm mode waits for each message's confirm before sending the
next, which caps a relay at one disk-sync round trip per event. RabbitMQ confirms asynchronously
and may confirm many deliveries in one frame (`multiple`), so the relay sends the whole batch on
one channel (which keeps their order) and then waits until every delivery tag is acked or nacked.
This uses the asynchronous channel beneath pika's BlockingChannel (`_impl`, the same object the
blocking adapter drives); the relay tests cover its behaviour against a real broker.
"""

from __future__ import annotations

import time

import pika
from pika.spec import Basic


class ConfirmTimeout(RuntimeError):
    pass


class StreamingConfirmChannel:
    def __init__(self, connection: pika.BlockingConnection) -> None:
        self.connection = connection
        self._blocking = connection.channel()
        self._channel = self._blocking._impl
        self._next_tag = 1
        self._pending: dict[int, str] = {}
        self._acked: set[str] = set()
        self._refused: set[str] = set()
        self._returned: set[str] = set()
        ready: list[bool] = []
        self._channel.confirm_delivery(ack_nack_callback=self._on_confirm, callback=lambda _frame: ready.append(True))
        self._channel.add_on_return_callback(self._on_return)
        while not ready:
            connection.process_data_events(time_limit=1)

    @property
    def blocking(self):
        """The ordinary blocking channel on the same connection, for declarations."""
        return self._blocking

    @property
    def is_open(self) -> bool:
        return self._blocking.is_open and self.connection.is_open

    def _on_confirm(self, frame) -> None:
        method = frame.method
        tags = [t for t in self._pending if t <= method.delivery_tag] if method.multiple else [method.delivery_tag]
        target = self._acked if isinstance(method, Basic.Ack) else self._refused
        for tag in tags:
            message_id = self._pending.pop(tag, None)
            if message_id is not None:
                target.add(message_id)

    def _on_return(self, _channel, _method, properties, _body) -> None:
        # A mandatory message no queue took: the broker returns it before acking it.
        self._returned.add(properties.message_id)

    def publish_all(
        self, exchange: str, messages: list[tuple[str, bytes, pika.BasicProperties]], timeout: float = 30.0
    ) -> tuple[list[str], list[str]]:
        """Publish (routing key, body, properties) in order; returns (confirmed ids, refused ids)."""
        self._acked.clear()
        self._refused.clear()
        self._returned.clear()
        order: list[str] = []
        for routing_key, body, properties in messages:
            self._channel.basic_publish(exchange, routing_key, body, properties=properties, mandatory=True)
            self._pending[self._next_tag] = properties.message_id
            self._next_tag += 1
            order.append(properties.message_id)
        deadline = time.monotonic() + timeout
        while self._pending:
            if time.monotonic() > deadline:
                raise ConfirmTimeout(f"{len(self._pending)} confirms outstanding after {timeout}s")
            self.connection.process_data_events(time_limit=0.05)
        confirmed = [m for m in order if m in self._acked and m not in self._returned]
        refused = [m for m in order if m not in confirmed]
        return confirmed, refused
