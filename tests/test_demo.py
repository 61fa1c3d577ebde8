"""`make demo` against the system as `make run` starts it on a fresh machine (SQLite, the Procfile):
twice in a row, time travel included — and a demo whose shell is configured for another system says
so at once."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest
import requests

from system import ROOT, System


@pytest.fixture(scope="module")
def make_run(tmp_path_factory):
    system = System(tmp_path_factory.mktemp("demo"), make_run=True)
    try:
        system.start()
        yield system
    finally:
        system.shutdown()


def demo(system: System, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "demo.py"), *args], env=system.env, cwd=ROOT,
                          capture_output=True, text=True, timeout=900)


def test_the_demo_finishes_twice_in_a_row(make_run):
    for run in (1, 2):
        finished = demo(make_run)
        assert finished.returncode == 0, f"run {run}:\n{finished.stdout[-3000:]}\n{finished.stderr[-3000:]}"
        assert "Fertig / done" in finished.stdout
        assert "ist ausgelaufen / expired" in finished.stdout and "Fall geschlossen" in finished.stdout


def test_time_travel_refuses_a_shell_configured_for_another_system(make_run, monkeypatch, tmp_path):
    spec = importlib.util.spec_from_file_location("demo_script", ROOT / "scripts" / "demo.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    staff = make_run.token("staff")
    [contract] = requests.get(f"{make_run.url('contracts')}/api/v1/contracts?page_size=1", headers=staff,
                              timeout=15).json()
    for key, value in make_run.env.items():
        monkeypatch.setenv(key, value)

    assert script.time_travel_mismatch(contract["id"]) is None

    monkeypatch.setenv("CONTRACTS_DATABASE_URL", f"sqlite:///{tmp_path / 'elsewhere.db'}")
    assert "CONTRACTS_DATABASE_URL" in script.time_travel_mismatch(contract["id"])
    monkeypatch.delenv("CONTRACTS_DATABASE_URL")

    monkeypatch.setenv("BUS_PREFIX", "another-system.")
    assert "BUS_PREFIX" in script.time_travel_mismatch(contract["id"])
