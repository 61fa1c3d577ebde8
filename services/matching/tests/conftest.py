import pytest

pytest_plugins = ["servicekit.testing.plugin"]


@pytest.fixture(scope="session")
def service():
    from matching.service import service

    return service
