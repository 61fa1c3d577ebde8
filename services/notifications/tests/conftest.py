import pytest

pytest_plugins = ["servicekit.testing.plugin"]


@pytest.fixture(scope="session")
def service():
    from notifications.service import service

    return service
