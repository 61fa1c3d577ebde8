"""The short chaos run inside `make test` (the full one is `make chaos`): a few waves of leases,
incidents and claims under CPU load while workers are killed, the relay dies between publish and
marking sent, a private broker is stopped and started and a private database restarted; poison on
the way. Nothing may be lost, duplicated or unexpected."""

from __future__ import annotations

from chaos.run import Options, run


def test_nothing_is_lost_or_duplicated_while_everything_fails(tmp_path):
    # relay_crash="3": every worker process dies right after its third confirmed batch. Load 3: three
    # CPU hogs per core beside the system, as on a busy node, where workers are killed with messages
    # prefetched again and again (that must not dead-letter them). CHAOS_TEST_LOAD=0 turns them off.
    import os

    options = Options(leases=16, companies=2, caseworkers=8, wave=4, every_incident=4, every_claim=4,
                      relay_crash="3", kill_every=(1.0, 3.0), kill_tail=20.0, quiet_timeout=120.0,
                      retry_delays_ms="1000,3000,9000", load=int(os.environ.get("CHAOS_TEST_LOAD", "3")))
    report = run(options, tmp_path, log=lambda line: None)
    print(report.text())  # shown when it fails, and with -s
    assert report.passed, report.text()
    assert report.counts["contract per lease"]["present once"] == 16
    assert report.counts["case per lease"]["present once"] == 16
    assert report.counts["crisis per incident or claim"]["present once"] == 8
    assert report.counts["notification per (event, recipient, channel)"]["present once"] > 16 * 5
    # the faults really happened
    assert any(n.startswith("SIGKILLs: {'") for n in report.notes), report.notes
    assert any("relay crashes after publish (fault switch): {'" in n for n in report.notes), report.notes
    assert any(n.startswith("broker stopped and started once") for n in report.notes)
    assert any(n.startswith("database restarted once") and "503" in n for n in report.notes)
    assert not options.load or any(n.startswith("load: ") for n in report.notes)



def test_retry_tiers_and_dead_letters_lose_nothing_across_a_broker_restart(monkeypatch):
    """Messages waiting in a retry tier while the broker restarts come back to the queue, and
    messages the broker dead-letters right after the restart (the delivery-limit backstop) reach the
    DLQ: quorum tiers, at-least-once dead-lettering — set by the kit's policies. On a private node."""
    import dataclasses
    import time
    import uuid

    import pika
    import pytest

    from chaos.infra import PrivateRabbit
    from servicekit.bus import policies, topology
    from servicekit.settings import Settings

    if not PrivateRabbit.available():
        pytest.skip("no rabbitmq-server here to start a private node")
    rabbit = PrivateRabbit()
    try:
        rabbit.start()
        monkeypatch.setenv("BUS_MANAGEMENT_URL", rabbit.management_url)
        settings = dataclasses.replace(Settings.from_env("restart", 0, 0), bus_url=rabbit.url,
                                       bus_prefix=f"restart.{uuid.uuid4().hex[:6]}.", retry_delays_ms=(8_000,))
        connection = pika.BlockingConnection(pika.URLParameters(rabbit.url))
        channel = connection.channel()
        assert topology.declare_consumer(channel, settings, [], [8_000]) == []
        policies.apply([settings])
        channel.confirm_delivery()
        tier = topology.retry_queue(settings, 8_000)
        for i in range(200):
            channel.basic_publish("", tier, b"{}", pika.BasicProperties(delivery_mode=2, message_id=f"t{i}"))
            channel.basic_publish("", settings.queue, b"{}", pika.BasicProperties(delivery_mode=2, message_id=f"q{i}"))
        connection.close()

        rabbit.stop()  # the tier's messages wait for their TTL meanwhile
        rabbit.start()

        connection = pika.BlockingConnection(pika.URLParameters(rabbit.url))
        channel = connection.channel()
        rejected, deadline = 0, time.monotonic() + 60
        while rejected < 200 and time.monotonic() < deadline:  # dead-lettered by the broker at once
            method, properties, _body = channel.basic_get(settings.queue)
            if method is None:
                continue
            assert properties.message_id.startswith("q")
            channel.basic_reject(method.delivery_tag, requeue=False)
            rejected += 1

        def depth(name):
            return channel.queue_declare(name, passive=True).method.message_count

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (depth(settings.queue) < 200 or depth(settings.dead_letter_queue) < 200):
            connection.sleep(0.5)
        assert (rejected, depth(tier), depth(settings.queue), depth(settings.dead_letter_queue)) == (200, 0, 200, 200)
        connection.close()
    finally:
        rabbit.teardown()
