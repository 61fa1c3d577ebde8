"""Test helpers for services, in the spirit of nameko's: real PostgreSQL and RabbitMQ, isolated per
test run by database name and broker prefix, and cleaned up afterwards.

Use it from a service's `tests/conftest.py`:

    pytest_plugins = ["servicekit.testing.plugin"]

    @pytest.fixture(scope="session")
    def service():
        from matching.service import service
        return service

Fixtures: `settings`, `db`, `app`, `client`, `clock`, `tokens`, `worker`, `bus` (publish events and
capture what the service publishes), `handle_event` (the consumer's path without the broker),
`job_context`, `run_concurrently` and `wait_until` for eventually-true assertions;
`find_stored(db.engine, needles)` for erasure tests.
"""

from servicekit.testing.helpers import BusProbe, TestClock, Tokens, wait_until
from servicekit.testing.stored import find_stored, stored_values

__all__ = ["BusProbe", "TestClock", "Tokens", "find_stored", "stored_values", "wait_until"]
