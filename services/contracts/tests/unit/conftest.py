from __future__ import annotations

import pytest

from contracts.config import load_program_config
from contracts.domain import Coverage
from contracts_unit_helpers import SMALL_CAPS


@pytest.fixture
def config():
    return load_program_config()


@pytest.fixture
def small_caps() -> Coverage:
    return SMALL_CAPS
