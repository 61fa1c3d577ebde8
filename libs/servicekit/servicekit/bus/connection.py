"""Opening AMQP connections the way the engineering notes ask: heartbeats, blocked-connection
timeout, a name operators can see in the management UI."""

from __future__ import annotations

import socket

import pika
from pika.exceptions import AMQPError

# Everything that means "the broker is not there right now, try again later".
RECOVERABLE = (AMQPError, OSError, socket.timeout)


def connect(url: str, name: str, *, heartbeat: int = 30, timeout: float = 5.0) -> pika.BlockingConnection:
    params = pika.URLParameters(url)
    params.heartbeat = heartbeat
    params.blocked_connection_timeout = 30
    params.socket_timeout = timeout
    params.stack_timeout = timeout * 2
    params.connection_attempts = 1
    params.client_properties = {"connection_name": name}
    return pika.BlockingConnection(params)


def close_quietly(connection: pika.BlockingConnection | None) -> None:
    if connection is None:
        return
    try:
        if connection.is_open:
            connection.close()
    except RECOVERABLE:
        pass
