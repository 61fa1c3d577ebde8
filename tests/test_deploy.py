"""The deployment files agree with the code: services, ports and commands that exist."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from servicekit.service import discover

ROOT = Path(__file__).resolve().parents[1]


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_file_is_valid_for_docker_compose():
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        command = ["docker", "compose", "config", "--quiet"]
    elif shutil.which("docker-compose"):
        command = ["docker-compose", "config", "-q"]
    else:
        pytest.skip("no docker compose client installed")
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_every_service_runs_web_worker_and_migrations_on_its_own_database():
    compose = _compose()["services"]
    for name, svc in discover().items():
        web, worker, migrate = compose[f"{name}-web"], compose[f"{name}-worker"], compose[f"{name}-migrate"]
        assert web["command"] == ["wohnenplus", "web", name]
        assert worker["command"] == ["wohnenplus", "worker", name]
        assert migrate["command"] == ["wohnenplus", "migrate", name]
        assert web["environment"]["PORT"] == str(svc.web_port)
        assert worker["environment"]["WORKER_METRICS_PORT"] == str(svc.worker_metrics_port)
        assert f"@db-{name}:5432/{name}" in web["environment"]["DATABASE_URL"]
        assert compose[f"db-{name}"]["environment"]["POSTGRES_USER"] == name


def test_prometheus_scrapes_every_web_and_worker_process():
    config = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text())
    targets = {t for job in config["scrape_configs"] for sc in job["static_configs"] for t in sc["targets"]}
    for name, svc in discover().items():
        assert f"{name}-web:{svc.web_port}" in targets
        assert f"{name}-worker:{svc.worker_metrics_port}" in targets
