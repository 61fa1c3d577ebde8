"""Building blocks of the test fixtures; usable on their own in end-to-end tests."""

from __future__ import annotations

import json
import os
import time
import uuid
from datetime import datetime, timezone
from typing import Any, Callable

import pika
from sqlalchemy import create_engine, text

from servicekit.auth import mint_token
from servicekit.bus import topology
from servicekit.bus.connection import close_quietly, connect
from servicekit.bus.envelope import Event
from servicekit.settings import Settings

ADMIN_POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


# How long a test waits for something that should happen (an event relayed, a row written) before it
# calls it lost. Generous on purpose: on a machine at load 40 a relay round trip took over 10 s, and
# waiting costs nothing when the thing happens at once.
PATIENCE_S = 60.0


def wait_until(predicate: Callable[[], Any], timeout: float = PATIENCE_S, interval: float = 0.05,
               message: str = "") -> Any:
    """Poll until `predicate()` is truthy and return its value; fail the test after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(message or f"condition not met within {timeout}s")
        time.sleep(interval)


class TestClock:
    """Follows the real time until frozen; `freeze(at)`, `advance(days=..)`, `unfreeze()`."""

    __test__ = False

    def __init__(self) -> None:
        self._frozen: datetime | None = None

    def now(self) -> datetime:
        return self._frozen or datetime.now(timezone.utc)

    def freeze(self, at: datetime) -> datetime:
        if at.tzinfo is None:
            raise ValueError("aware datetime required")
        self._frozen = at
        return at

    def advance(self, **delta: float) -> datetime:
        from datetime import timedelta

        self._frozen = self.now() + timedelta(**delta)
        return self._frozen

    def unfreeze(self) -> None:
        self._frozen = None


class Tokens:
    """Mint real RS256 tokens signed with the test run's dev key."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def token(self, *roles: str, sub: str | None = None, company_id: str | None = None, **claims: Any) -> str:
        return mint_token(self.settings, sub=sub or f"test-{roles[0]}", roles=list(roles),
                          company_id=company_id, name=claims.get("name"))

    def headers(self, *roles: str, sub: str | None = None, company_id: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(*roles, sub=sub, company_id=company_id)}"}

    def staff(self) -> dict[str, str]:
        return self.headers("staff")

    def admin(self) -> dict[str, str]:
        return self.headers("admin")

    def finance(self) -> dict[str, str]:
        return self.headers("finance")

    def caseworker(self, sub: str) -> dict[str, str]:
        return self.headers("caseworker", sub=sub)

    def company(self, company_id: str, sub: str | None = None) -> dict[str, str]:
        return self.headers("company", company_id=str(company_id), sub=sub or f"company-user-{company_id}")


class BusProbe:
    """Publish events into the test broker as another service would, and capture what is published."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._connection = connect(settings.bus_url, "test-probe")
        self._channel = self._connection.channel()
        topology.declare_exchanges(self._channel, settings)
        self._channel.confirm_delivery()
        self._queues: list[str] = []

    def publish(self, event_type: str, data: dict[str, Any], *, event_id: str | None = None,
                source: str = "test", correlation_id: str | None = None, version: int = 1,
                published_versions: tuple[int, ...] = ()) -> Event:
        event = Event(type=event_type, data=data, source=source, correlation_id=correlation_id or str(uuid.uuid4()),
                      id=event_id or str(uuid.uuid4()), version=version, published_versions=published_versions)
        self.publish_raw(event.to_json().encode(), event.properties(), routing_key=event_type)
        return event

    def publish_raw(self, body: bytes, properties: pika.BasicProperties | None = None, *, routing_key: str) -> None:
        self._channel.basic_publish(self.settings.exchange, routing_key, body,
                                    properties=properties or pika.BasicProperties(delivery_mode=2), mandatory=True)

    def capture(self, *binding_keys: str) -> "Capture":
        """Start capturing published events matching `binding_keys` (topic patterns, e.g. 'matching.#')."""
        name = f"{self.settings.bus_prefix}probe.{uuid.uuid4().hex[:8]}"
        self._channel.queue_declare(name, durable=True, arguments={"x-expires": 600_000})
        for key in binding_keys:
            self._channel.queue_bind(name, self.settings.exchange, routing_key=key)
        self._queues.append(name)
        return Capture(self, name)

    def queue_depth(self, queue: str) -> int:
        return self._channel.queue_declare(queue, passive=True).method.message_count

    def close(self) -> None:
        for name in self._queues:
            try:
                self._channel.queue_delete(name)
            except Exception:
                pass
        close_quietly(self._connection)


class Capture:
    def __init__(self, probe: BusProbe, queue: str) -> None:
        self.probe = probe
        self.queue = queue
        self.events: list[tuple[pika.BasicProperties, dict[str, Any]]] = []

    def _drain(self) -> None:
        while True:
            method, properties, body = self.probe._channel.basic_get(self.queue, auto_ack=True)
            if method is None:
                return
            self.events.append((properties, json.loads(body)))

    def wait_for(self, event_type: str, predicate: Callable[[dict], bool] = lambda e: True,
                 timeout: float = PATIENCE_S) -> dict[str, Any]:
        """The first captured envelope of `event_type` matching `predicate`."""

        def found():
            self._drain()
            return next((e for _, e in self.events if e["type"] == event_type and predicate(e)), None)

        return wait_until(found, timeout, message=f"no {event_type} event published within {timeout}s")

    def of_type(self, event_type: str) -> list[dict[str, Any]]:
        self._drain()
        return [e for _, e in self.events if e["type"] == event_type]

    def properties_of(self, event_id: str) -> pika.BasicProperties:
        self._drain()
        return next(p for p, e in self.events if e["id"] == event_id)


def postgres_available() -> bool:
    if os.environ.get("WOHNENPLUS_TEST_DB") == "sqlite":
        return False
    try:
        engine = create_engine(ADMIN_POSTGRES_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:
        return False


def create_postgres_database(name: str) -> str:
    engine = create_engine(ADMIN_POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return ADMIN_POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"


def drop_postgres_database(name: str) -> None:
    engine = create_engine(ADMIN_POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def delete_broker_names(settings: Settings) -> None:
    """Remove the exchanges, queues and policies a test run declared under its prefix."""
    exchanges, queues = topology.all_names(settings, list(settings.retry_delays_ms))
    try:
        from servicekit.bus import policies

        policies.remove(settings)
    except Exception:
        pass  # no way to reach the policies: nothing was set through them either
    try:
        connection = connect(settings.bus_url, "test-cleanup")
    except Exception:
        return
    try:
        for name in queues:
            channel = connection.channel()
            try:
                channel.queue_delete(name)
            except Exception:
                pass
        for name in exchanges:
            channel = connection.channel()
            try:
                channel.exchange_delete(name)
            except Exception:
                pass
    finally:
        close_quietly(connection)
