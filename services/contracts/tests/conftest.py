from datetime import datetime, timezone

import pytest

from contracts_testkit import World

pytest_plugins = ["servicekit.testing.plugin"]


@pytest.fixture(scope="session")
def tokens(settings):
    """The kit's token minting, memoised: loading the RSA key costs ~70 ms per token, and these tests
    send hundreds of requests with the same few identities."""
    from servicekit.testing import Tokens

    class CachedTokens(Tokens):
        _cache: dict = {}

        def headers(self, *roles, sub=None, company_id=None):
            key = (roles, sub, company_id)
            if key not in self._cache:
                self._cache[key] = super().headers(*roles, sub=sub, company_id=company_id)
            return dict(self._cache[key])

    return CachedTokens(settings)


@pytest.fixture(scope="session")
def service():
    from contracts.service import service

    return service


@pytest.fixture
def world(db, client, tokens, clock):
    # Mid-2027: contracts from 1 March 2026 are active and months up to June 2027 have begun.
    clock.freeze(datetime(2027, 6, 15, 10, 0, tzinfo=timezone.utc))
    return World(db, client, tokens, clock)
