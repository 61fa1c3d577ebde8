"""/metrics on a listener of its own (issue 23, finding 8): with METRICS_PORT set, the API port no
longer answers /metrics — not even with a Host header naming the metrics port — and the metrics
listener answers nothing else; METRICS_HOST keeps that listener on an internal address.

One real gunicorn web process (matching, SQLite), since which listener a connection arrived on is a
property of the socket that only a real server has."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from system import free_port

BIN = Path(sys.executable).parent


def _outside_address() -> str | None:
    """An address of this machine that is not loopback (None when there is none)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: nothing is sent, the kernel just picks a route
        except OSError:
            return None
        address = probe.getsockname()[0]
    return None if address.startswith("127.") else address


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    var = tmp_path_factory.mktemp("metrics-listener")
    web_port, metrics_port = free_port(), free_port()
    env = dict(os.environ, WOHNENPLUS_VAR=str(var), MATCHING_DATABASE_URL=f"sqlite:///{var}/matching.db",
               MATCHING_WEB_PORT=str(web_port), MATCHING_METRICS_PORT=str(metrics_port),
               METRICS_HOST="127.0.0.1", WEB_CONCURRENCY="2", LOG_LEVEL="WARNING")
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    subprocess.run([str(BIN / "wohnenplus"), "keys"], env=env, check=True, capture_output=True, timeout=120)
    log = (var / "web.log").open("wb")
    process = subprocess.Popen([str(BIN / "wohnenplus"), "web", "matching"], env=env, stdout=log,
                               stderr=subprocess.STDOUT)
    try:  # stopped also when it never came up (gunicorn would outlive the test run)
        deadline = time.monotonic() + 120
        while True:
            try:
                if requests.get(f"http://127.0.0.1:{web_port}/healthz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:  # not listening yet, or the workers still booting
                pass
            assert process.poll() is None and time.monotonic() < deadline, (var / "web.log").read_text()
            time.sleep(0.3)
        yield web_port, metrics_port
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def test_the_api_port_no_longer_serves_metrics(web):
    web_port, metrics_port = web
    assert requests.get(f"http://127.0.0.1:{web_port}/metrics", timeout=5).status_code == 404
    spoofed = requests.get(f"http://127.0.0.1:{web_port}/metrics", headers={"Host": f"127.0.0.1:{metrics_port}"},
                           timeout=5)
    assert spoofed.status_code == 404
    assert spoofed.headers["Content-Type"] == "application/problem+json"
    assert requests.get(f"http://127.0.0.1:{web_port}/healthz", timeout=5).status_code == 200


def test_the_metrics_listener_serves_metrics_of_every_worker_and_nothing_else(web):
    web_port, metrics_port = web
    for _ in range(4):
        requests.get(f"http://127.0.0.1:{web_port}/healthz", timeout=5)
    text = requests.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).text
    assert 'http_requests_total{' in text and 'route="/healthz"' in text
    for path in ("/healthz", "/api/v1/flats", "/openapi.json"):
        assert requests.get(f"http://127.0.0.1:{metrics_port}{path}", timeout=5).status_code == 404, path


def test_metrics_host_keeps_the_listener_off_other_addresses(web):
    web_port, metrics_port = web
    outside = _outside_address()
    if outside is None:
        pytest.skip("this machine has no address besides loopback")
    assert requests.get(f"http://{outside}:{web_port}/healthz", timeout=5).status_code == 200
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://{outside}:{metrics_port}/metrics", timeout=5)
