"""pytest fixtures for a service's tests (see servicekit.testing). Needs a `service` fixture."""

from __future__ import annotations

import dataclasses
import os
import uuid
import warnings

import pytest
from sqlalchemy import MetaData, delete

from servicekit.auth import ensure_dev_keys
from servicekit.bus.connection import close_quietly, connect
from servicekit.db import migrations
from servicekit.db.database import Database
from servicekit.privacy import crypto
from servicekit.settings import Settings
from servicekit.testing.helpers import (
    BusProbe,
    TestClock,
    Tokens,
    create_postgres_database,
    delete_broker_names,
    drop_postgres_database,
    postgres_available,
    wait_until as _wait_until,
)

# An in-process test client sends far faster than any company would; a test of the rate limits
# switches them on itself (servicekit.web.limits).
os.environ.setdefault("RATELIMIT_ENABLED", "false")


@pytest.fixture(scope="session")
def run_id() -> str:
    return uuid.uuid4().hex[:10]


@pytest.fixture(scope="session")
def database_url(service, run_id, tmp_path_factory):
    """A fresh database for this test run: PostgreSQL when it answers, else SQLite (with a warning);
    `WOHNENPLUS_TEST_DB=sqlite` chooses SQLite, the database `make run` uses by default."""
    if postgres_available():
        name = f"wp_test_{service.name}_{run_id}"
        yield create_postgres_database(name)
        drop_postgres_database(name)
    else:
        if os.environ.get("WOHNENPLUS_TEST_DB") != "sqlite":
            warnings.warn("PostgreSQL not reachable: database tests run on SQLite", stacklevel=1)
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / service.name}.db"


@pytest.fixture(scope="session")
def settings(service, database_url, run_id, tmp_path_factory) -> Settings:
    base = Settings.from_env(service.name, service.web_port, service.worker_metrics_port)
    var_dir = tmp_path_factory.mktemp("var")
    ensure_dev_keys(var_dir)
    settings = dataclasses.replace(
        base,
        database_url=database_url,
        bus_prefix=f"test.{run_id}.",
        var_dir=var_dir,
        jwt_public_key_file=None,
        jwt_jwks_url=None,
        jwt_private_key_file=var_dir / "jwt" / "dev-private.pem",
        retry_delays_ms=(100, 300),
    )
    crypto.configure(settings)
    yield settings
    delete_broker_names(settings)


@pytest.fixture(scope="session")
def db(service, settings) -> Database:
    migrations.upgrade(service.migrations_dir, settings.database_url)
    database = Database(settings.database_url)
    yield database
    database.dispose()


def reset_database(database: Database) -> None:
    """Empty every table (children first) but keep the schema and its Alembic version."""
    metadata = MetaData()
    metadata.reflect(database.engine)
    with database.engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            if table.name != "alembic_version":
                conn.execute(delete(table))


@pytest.fixture(autouse=True)
def _clean_database(request):
    if "db" in request.fixturenames:
        yield
        reset_database(request.getfixturevalue("db"))
    else:
        yield


@pytest.fixture
def clock() -> TestClock:
    return TestClock()


@pytest.fixture
def app(service, settings, db, clock):
    from servicekit.web.app import create_app

    application = create_app(service, settings, db=db, clock=clock)
    application.testing = True
    return application


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def tokens(settings) -> Tokens:
    return Tokens(settings)


@pytest.fixture
def bus(settings):
    probe = BusProbe(settings)
    yield probe
    probe.close()


@pytest.fixture
def worker(service, settings, db, clock):
    """The service's worker threads (consumer, relay, jobs) running against the test broker."""
    from servicekit.worker import Worker

    connection = connect(settings.bus_url, "test-purge")
    try:
        channel = connection.channel()
        from servicekit.bus import topology

        topology.declare_consumer(channel, settings, service.bindings, list(settings.retry_delays_ms))
        channel.queue_purge(settings.queue)
        channel.queue_purge(settings.dead_letter_queue)
    finally:
        close_quietly(connection)
    running = Worker(service, settings, db=db, clock=clock).start(jobs=False)
    yield running
    running.shutdown()


@pytest.fixture
def run_concurrently():
    """Start `fn` in `n` threads at the same moment (a barrier) and return their results; re-raise
    the first error. For races the database must settle (row locks, unique and exclusion constraints)."""
    import threading

    def run(fn, n: int = 2, timeout: float = 30.0) -> list:
        barrier = threading.Barrier(n)
        results: list = []
        errors: list[BaseException] = []

        def one(i: int) -> None:
            try:
                barrier.wait()
                results.append(fn(i))
            except BaseException as exc:  # reported to the test below
                errors.append(exc)

        threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout)
        if errors:
            raise errors[0]
        return results

    return run


@pytest.fixture
def wait_until():
    return _wait_until


@pytest.fixture
def job_context(service, settings, db, clock):
    """What the worker hands a periodic job, for calling jobs directly in tests."""
    from servicekit.jobs import JobContext

    return JobContext(settings, db, clock)


@pytest.fixture
def handle_event(service, settings, db, clock):
    """Hand an event to the service exactly as its consumer would — inbox, handler and commit in one
    transaction — but without the broker: `handle_event(type, data, event_id=None, source="test",
    version=1, published_versions=())` returns the outcome (handled, duplicate, retry or
    dead_letter) and the event."""
    from servicekit.bus.consumer import Consumer
    from servicekit.bus.envelope import Event

    consumer = Consumer(db, settings, service.handlers, clock=clock)

    def handle(event_type: str, data: dict, *, event_id: str | None = None, source: str = "test",
               version: int = 1, published_versions: tuple[int, ...] = ()):
        event = Event(type=event_type, data=data, source=source, correlation_id=str(uuid.uuid4()),
                      occurred_at=clock.now(), version=version, published_versions=published_versions,
                      **({"id": event_id} if event_id else {}))
        [(outcome, _type)] = consumer.process_batch([event.to_json().encode()])
        return outcome, event

    return handle
