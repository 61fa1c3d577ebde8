"""Queue settings as policies, and the migration of queues an older kit declared with arguments."""

from __future__ import annotations

import dataclasses
import uuid

import pika
import pytest

from servicekit.bus import policies, topology
from servicekit.bus.connection import close_quietly, connect
from servicekit.bus.migrate import MigrationRefused, declare_legacy, migrate_service
from servicekit.testing.helpers import BusProbe, delete_broker_names, wait_until


@pytest.fixture
def own(settings):
    """Names of this test's own, with one long retry tier (messages wait there during the test)."""
    mine = dataclasses.replace(settings, bus_prefix=f"{settings.bus_prefix}{uuid.uuid4().hex[:6]}.",
                               retry_delays_ms=(60_000,))
    yield mine
    delete_broker_names(mine)


def _drain_ids(settings, name: str) -> list[str]:
    connection = connect(settings.bus_url, "test-drain")
    try:
        channel = connection.channel()
        ids = []
        while True:
            method, properties, _body = channel.basic_get(name, auto_ack=True)
            if method is None:
                return ids
            ids.append(properties.message_id)
    finally:
        close_quietly(connection)


def _declared_as_now(settings, name: str) -> bool:
    connection = connect(settings.bus_url, "test-declare")
    try:
        connection.channel().queue_declare(name, durable=True, arguments=topology.QUORUM)
        return True
    except pika.exceptions.ChannelClosedByBroker:
        return False
    finally:
        close_quietly(connection)


def test_the_policies_are_what_the_queues_run_with(own):
    connection = connect(own.bus_url, "test-policies")
    try:
        assert topology.declare_consumer(connection.channel(), own, ["kit.note.copied"], list(own.retry_delays_ms)) == []
    finally:
        close_quietly(connection)
    assert {what for _, what in policies.apply([own])} == {"set"}
    assert {what for _, what in policies.apply([own])} == {"unchanged"}  # idempotent, no churn
    api = policies.ManagementApi.for_settings(own)
    if not api.answers():
        pytest.skip("the management API shows what applies")
    vhost = policies.vhost_of(own)
    # the API answers from its statistics, a few seconds behind the broker
    main = wait_until(lambda: (q := api.queue(vhost, own.queue)).get("policy") and q, timeout=20)
    assert main["policy"] == own.queue
    assert main["effective_policy_definition"] == {
        "delivery-limit": 50, "dead-letter-exchange": own.dead_letter_exchange,
        "dead-letter-routing-key": own.queue, "dead-letter-strategy": "at-least-once", "overflow": "reject-publish"}
    tier = wait_until(lambda: (q := api.queue(vhost, topology.retry_queue(own, 60_000))).get("policy") and q, timeout=20)
    assert tier["type"] == "quorum" and tier["arguments"] == {"x-queue-type": "quorum"}
    assert tier["effective_policy_definition"]["message-ttl"] == 60_000


def test_migrate_turns_the_old_queues_into_policy_queues_and_loses_no_message(own):
    declare_legacy(own, ["kit.note.copied"])
    assert not _declared_as_now(own, own.queue)
    probe = BusProbe(own)
    try:
        waiting = [probe.publish("kit.note.copied", {"n": i}).id for i in range(50)]
        in_tier = []
        for i in range(5):  # messages waiting in a retry tier (classic queue, TTL argument)
            event_id = str(uuid.uuid4())
            probe._channel.basic_publish("", topology.retry_queue(own, 60_000), b"{}",
                                        pika.BasicProperties(message_id=event_id, delivery_mode=2,
                                                             headers={"x-retry-count": 1}))
            in_tier.append(event_id)
    finally:
        probe.close()

    connection = connect(own.bus_url, "test-consumer-present")
    try:  # a worker still consuming: refused, nothing touched
        channel = connection.channel()
        channel.basic_consume(own.queue, lambda *a: None)
        with pytest.raises(MigrationRefused):
            migrate_service(own, ["kit.note.copied"])
    finally:
        close_quietly(connection)

    results = migrate_service(own, ["kit.note.copied"])
    assert [r.moved for r in results] == [50, 5, 0]
    assert _declared_as_now(own, own.queue) and _declared_as_now(own, topology.retry_queue(own, 60_000))
    assert sorted(_drain_ids(own, topology.retry_queue(own, 60_000))) == sorted(in_tier)
    probe = BusProbe(own)
    try:  # still bound: a new event arrives
        waiting.append(probe.publish("kit.note.copied", {"n": "after"}).id)
    finally:
        probe.close()
    assert sorted(_drain_ids(own, own.queue)) == sorted(waiting)
    assert [r.notes for r in migrate_service(own, ["kit.note.copied"])][0] == ["already current"]
