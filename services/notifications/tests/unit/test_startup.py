"""The process start-up path refuses to run with a routed template missing."""

import shutil

import pytest

from notifications import config, runtime as rt
from notifications.domain.startup import MissingTemplatesError


@pytest.fixture
def fresh_runtime():
    rt.runtime.cache_clear()
    yield
    rt.runtime.cache_clear()


def test_start_up_fails_when_a_routed_template_is_missing(tmp_path, monkeypatch, fresh_runtime):
    copy = tmp_path / "templates"
    shutil.copytree(config.TEMPLATE_DIR, copy)
    (copy / "support.case.opened" / "household.txt.j2").unlink()
    monkeypatch.setattr(config, "TEMPLATE_DIR", copy)
    with pytest.raises(MissingTemplatesError, match="support.case.opened/household.txt.j2"):
        rt.runtime()


def test_start_up_passes_with_the_shipped_templates(fresh_runtime):
    assert "matching.proposal.created" in rt.runtime().consumed_event_types
