import pytest

from servicekit.testing.helpers import BusProbe
from system import System


@pytest.fixture(scope="session")
def system(tmp_path_factory):
    running = System(tmp_path_factory.mktemp("system"))
    try:
        running.start()
    except BaseException:
        running.shutdown()  # nothing left behind when the system does not come up
        raise
    yield running
    running.shutdown()


@pytest.fixture
def bus(system):
    probe = BusProbe(system.settings)
    yield probe
    probe.close()
