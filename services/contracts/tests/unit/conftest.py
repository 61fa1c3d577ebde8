from __future__ import annotations

import pytest
from hypothesis import settings

from contracts.config import load_program_config
from contracts.domain import Coverage
from contracts_unit_helpers import SMALL_CAPS

# No per-example deadline: these properties are cheap, and a loaded CI machine must not turn a
# scheduling pause into a failure.
settings.register_profile("contracts", deadline=None)
settings.load_profile("contracts")


@pytest.fixture
def config():
    return load_program_config()


@pytest.fixture
def small_caps() -> Coverage:
    return SMALL_CAPS
