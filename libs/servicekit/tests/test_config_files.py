"""One loader for every service's configuration files, which a deployment can replace one by one."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from servicekit import config
from servicekit.clock import berlin_date
from servicekit.config import ConfigError, ConfigFiles


@pytest.fixture
def shipped(tmp_path, monkeypatch):
    """A package `kitcfg` shipping program.json, importable from tmp_path."""
    package = tmp_path / "kitcfg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "program.json").write_text(json.dumps(
        {"_about": "test program", "term_years": {"value": 5, "source": "§ 1"}, "limits": [{"_note": "x", "n": 30}]}))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("KITCFG_CONFIG_DIR", raising=False)
    yield ConfigFiles("kitcfg", "kitcfg")
    config.reload()


def test_shipped_files_are_read_and_their_notes_stripped_from_the_facts(shipped):
    assert shipped.read("program.json")["_about"] == "test program"
    assert shipped.facts("program.json") == {"term_years": {"value": 5, "source": "§ 1"}, "limits": [{"n": 30}]}
    shipped.read("program.json")["term_years"]["value"] = 99  # a caller's copy, not the cache
    assert shipped.facts("program.json")["term_years"]["value"] == 5


def test_a_deployment_replaces_one_file_through_the_services_config_dir(shipped, tmp_path, monkeypatch):
    own = tmp_path / "deployment"
    own.mkdir()
    (own / "program.json").write_text(json.dumps({"term_years": {"value": 3}}))
    monkeypatch.setenv("KITCFG_CONFIG_DIR", str(own))
    assert shipped.env_var == "KITCFG_CONFIG_DIR"
    assert shipped.facts("program.json") == {"term_years": {"value": 3}}
    assert shipped.source("program.json") == str(own / "program.json")
    (own / "broken.json").write_text("{")
    with pytest.raises(ConfigError, match="broken.json is not valid JSON"):
        shipped.read("broken.json")
    with pytest.raises(ConfigError, match="absent.json not found"):
        shipped.read("absent.json")  # neither replaced nor shipped


def test_berlin_date_is_the_day_in_stuttgart():
    assert berlin_date(datetime(2026, 12, 31, 23, 30, tzinfo=timezone.utc)).isoformat() == "2027-01-01"
    assert berlin_date(datetime(2026, 7, 1, 21, 59, tzinfo=timezone.utc)).isoformat() == "2026-07-01"
    assert berlin_date(datetime(2026, 7, 1, 22, 0, tzinfo=timezone.utc)).isoformat() == "2026-07-02"
    with pytest.raises(ValueError):
        berlin_date(datetime(2026, 7, 1, 22, 0))
