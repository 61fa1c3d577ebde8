import pytest

pytest_plugins = ["servicekit.testing.plugin"]


@pytest.fixture(scope="session")
def service():
    from support.service import service

    return service
