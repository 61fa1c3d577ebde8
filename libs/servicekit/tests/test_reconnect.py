"""The worker survives the broker dropping its connections (as in a broker restart)."""

from __future__ import annotations

import shutil
import subprocess
import uuid

import pytest

from servicekit.testing import wait_until

from conftest import note_count

rabbitmqctl = shutil.which("rabbitmqctl")
pytestmark = pytest.mark.skipif(not rabbitmqctl, reason="rabbitmqctl not installed")


def _connections_named(name: str) -> list[str]:
    listed = subprocess.run([rabbitmqctl, "list_connections", "pid", "client_properties", "-q", "--no-table-headers"],
                            capture_output=True, text=True, timeout=30, check=True).stdout
    return [line.split("\t", 1)[0] for line in listed.splitlines() if f'"{name}"' in line]


def test_consumer_and_relay_reconnect_after_the_broker_closes_their_connections(db, worker, bus, client, tokens):
    names = ["kittest-consumer", "kittest-relay"]
    wait_until(lambda: all(_connections_named(n) for n in names), timeout=20)
    closed = [pid for name in names for pid in _connections_named(name)]
    for pid in closed:
        subprocess.run([rabbitmqctl, "close_connection", pid, "test: broker restart"], capture_output=True,
                       timeout=30, check=True)

    # Both directions work again without anyone restarting the worker.
    copied = bus.publish("kit.note.copied", {"id": str(uuid.uuid4()), "company_id": "c", "text": "wieder da"})
    wait_until(lambda: note_count(db, id=copied.data["id"]) == 1, timeout=30)
    capture = bus.capture("kit.note.added")
    created = client.post("/api/v1/notes", json={"company_id": "c", "text": "nach dem Neustart"}, headers=tokens.staff())
    assert created.status_code == 201
    capture.wait_for("kit.note.added", lambda e: e["data"]["id"] == created.json["id"], timeout=30)
    assert all(t.is_alive() for t in worker.threads)

    def reopened():
        # The broker drops a closed connection from its listing a moment later, not at once.
        now = [pid for name in names for pid in _connections_named(name)]
        return bool(now) and not set(now) & set(closed)

    wait_until(reopened, timeout=30, message="the old connections are still listed or no new ones came")
