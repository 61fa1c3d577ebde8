"""Every service, as a real gunicorn + worker process pair: ready, documented, measured."""

from __future__ import annotations

import re

import subprocess

import pika
import pytest
import requests
from openapi_spec_validator import validate

from servicekit.testing import wait_until
from system import BIN, free_port

SERVICES = ["matching", "contracts", "support", "notifications"]


@pytest.mark.parametrize("service", SERVICES)
def test_ready_documented_and_docs_served(system, service):
    base = system.url(service)
    assert requests.get(f"{base}/healthz", timeout=5).json()["service"] == service
    assert requests.get(f"{base}/readyz", timeout=5).status_code == 200
    spec = requests.get(f"{base}/openapi.json", timeout=5).json()
    validate(spec)
    assert any(path.startswith("/api/v1/") for path in spec["paths"])
    assert requests.get(f"{base}/docs", timeout=5).status_code == 200
    assert requests.get(f"{base}/docs/assets/swagger-ui.css", timeout=5).status_code == 200


def _sample_sum(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


@pytest.mark.parametrize("service", SERVICES)
def test_metrics_count_every_request_across_two_gunicorn_workers(system, service):
    base = system.url(service)
    before = _sample_sum(requests.get(f"{base}/metrics", timeout=5).text, "http_requests_total",
                         route="/openapi.json", status="200")
    session_less = [requests.get(f"{base}/openapi.json", timeout=5) for _ in range(40)]  # new connection each
    assert all(r.status_code == 200 for r in session_less)
    after = _sample_sum(requests.get(f"{base}/metrics", timeout=5).text, "http_requests_total",
                        route="/openapi.json", status="200")
    assert after - before == 40


@pytest.mark.parametrize("service", SERVICES)
def test_worker_exposes_its_own_metrics(system, service):
    text = requests.get(system.worker_metrics_url(service), timeout=5).text
    assert re.search(r'^outbox_pending_events\{service="%s"\} ' % service, text, re.M)


@pytest.mark.parametrize("service", SERVICES)
def test_readyz_is_503_when_the_broker_is_down(system, service):
    env = dict(system.env, BUS_URL="amqp://guest:guest@127.0.0.1:1/%2F", WEB_CONCURRENCY="1")
    env[f"{service.upper()}_WEB_PORT"] = str(free_port())
    system.spawn(f"{service}-web-nobroker", "web", service, env=env)
    url = f"http://127.0.0.1:{env[f'{service.upper()}_WEB_PORT']}/readyz"
    try:
        def answered():
            try:
                return [requests.get(url, timeout=5)]
            except requests.RequestException:
                return None

        [response] = wait_until(answered, timeout=90)
        assert response.status_code == 503
        assert response.json()["checks"] == {"database": "ok", "broker": "unavailable"}
    finally:
        system.stop(f"{service}-web-nobroker")


@pytest.mark.parametrize("service", SERVICES)
def test_a_forged_token_is_refused(system, service):
    spec = requests.get(f"{system.url(service)}/openapi.json", timeout=5).json()
    forged = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJ4Iiwicm9sZXMiOlsiYWRtaW4iXX0."
    for path, operations in spec["paths"].items():
        method = next(m for m in operations if m in ("get", "post", "put", "patch", "delete"))
        url = system.url(service) + re.sub(r"\{[^}]+\}", "00000000-0000-4000-8000-000000000000", path)
        response = requests.request(method, url, json={}, headers={"Authorization": f"Bearer {forged}"}, timeout=5)
        assert response.status_code == 401, f"{method.upper()} {path} answered {response.status_code}"
    assert response.status_code == 401
    assert response.headers["Content-Type"] == "application/problem+json"


def _cli(system, *args: str) -> str:
    result = subprocess.run([str(BIN / "wohnenplus"), *args], env=system.env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_operators_list_and_replay_dead_letters_from_the_cli(system, bus):
    dlq = f"{system.prefix}matching.events.dlq"
    before = bus.queue_depth(dlq)
    bus.publish_raw(b"{not an event", pika.BasicProperties(message_id="poison-1", type="contracts.contract.terminated",
                                                            delivery_mode=2),
                    routing_key="contracts.contract.terminated")
    wait_until(lambda: bus.queue_depth(dlq) == before + 1, timeout=30)

    listed = _cli(system, "dlq", "list", "matching")
    assert "poison-1" in listed and "malformed" in listed  # the kit names why it dead-lettered it
    wait_until(lambda: bus.queue_depth(dlq) == before + 1)  # listing leaves it where it is

    assert "replayed 1 message(s)" in _cli(system, "dlq", "replay", "matching", "--id", "poison-1")
    # Still malformed, so the consumer dead-letters it again: it went back through the service's queue.
    wait_until(lambda: "poison-1" in _cli(system, "dlq", "list", "matching"), timeout=30)
