"""Consumer fuzzing: whatever bytes and AMQP properties arrive, the consumer loop keeps running,
the bad message ends in the dead-letter queue and the next good message is handled."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

import pika
from hypothesis import HealthCheck, Phase, given, settings as hypothesis_settings, strategies as st

from servicekit.bus.consumer import RETRY_HEADER
from servicekit.testing import wait_until

from conftest import note_count

FUZZ = hypothesis_settings(max_examples=30, deadline=None, derandomize=True, phases=[Phase.explicit, Phase.generate],
                           suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# Values pika can put on the wire as header values, including the kinds a buggy publisher sends.
header_values = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**63), 2**63 - 1),
    st.text(max_size=20), st.binary(max_size=20), st.lists(st.integers(0, 9), max_size=3),
    st.dictionaries(st.sampled_from(["a", "count"]), st.integers(0, 9), max_size=2),
)

json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=10)),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)

ENVELOPE_KEYS = ["id", "type", "version", "occurred_at", "source", "correlation_id", "data"]


@st.composite
def broken_envelopes(draw) -> bytes:
    """Nearly valid envelopes: one field missing or of the wrong kind, or data the handler cannot use."""
    envelope = {"id": str(uuid.uuid4()), "type": "kit.note.copied", "version": 1,
                "occurred_at": datetime.now(timezone.utc).isoformat(), "source": "fuzz",
                "correlation_id": str(uuid.uuid4()), "data": {}}
    how = draw(st.sampled_from(["drop", "replace", "data"]))
    if how == "drop":
        envelope.pop(draw(st.sampled_from(ENVELOPE_KEYS)))
    elif how == "replace":
        key = draw(st.sampled_from(["id", "occurred_at", "data", "version"]))
        envelope[key] = draw(json_values.filter(lambda v: not isinstance(v, dict) or key != "data"))
    else:  # a valid envelope whose data lacks what the handler reads: a handler bug, retried, then dead-lettered
        data = draw(st.dictionaries(st.text(max_size=8).filter(lambda k: k != "text"), json_values, max_size=3))
        envelope["data"] = data
    return json.dumps(envelope).encode()


bodies = st.one_of(
    st.binary(max_size=200),
    st.text(max_size=100).map(str.encode),
    json_values.map(lambda v: json.dumps(v).encode()),
    broken_envelopes(),
    st.just(json.dumps({"id": str(uuid.uuid4()), "type": "kit.nobody.handles", "version": 1, "source": "fuzz",
                        "occurred_at": "2026-01-01T00:00:00Z", "correlation_id": "c", "data": {}}).encode()),
)

properties = st.builds(
    pika.BasicProperties,
    message_id=st.one_of(st.none(), st.text(max_size=40)),
    type=st.one_of(st.none(), st.text(max_size=40)),
    content_type=st.one_of(st.none(), st.sampled_from(["application/json", "text/plain", "x/\u00fc"])),
    content_encoding=st.one_of(st.none(), st.sampled_from(["utf-8", "gzip", "latin-1"])),
    correlation_id=st.one_of(st.none(), st.text(max_size=40)),
    timestamp=st.one_of(st.none(), st.integers(0, 2**63 - 1)),
    delivery_mode=st.sampled_from([1, 2]),
    headers=st.one_of(st.none(), st.dictionaries(
        st.one_of(st.just(RETRY_HEADER), st.just("x-death"), st.just("x-replayed"), st.text(min_size=1, max_size=10)),
        header_values, max_size=3)),
)


def _bad_then_good(bus, settings, worker, messages):
    dlq = settings.dead_letter_queue
    before = bus.queue_depth(dlq)
    for body, props in messages:
        bus.publish_raw(body, props, routing_key="kit.note.copied")
    good = bus.publish("kit.note.copied", {"id": str(uuid.uuid4()), "company_id": "c", "text": "weiter"})
    wait_until(lambda: note_count(worker.db, id=good.data["id"]) == 1, timeout=20,
               message="a good message after the fuzzed ones was not handled")
    wait_until(lambda: bus.queue_depth(dlq) == before + len(messages), timeout=20,
               message=f"expected {len(messages)} more dead letters, have {bus.queue_depth(dlq) - before}")
    assert worker.threads and all(t.is_alive() for t in worker.threads)


@FUZZ
@given(st.lists(bodies, min_size=1, max_size=6))
def test_malformed_bodies_end_in_the_dlq_and_the_flow_goes_on(db, worker, bus, settings, messages):
    _bad_then_good(bus, settings, worker, [(b, pika.BasicProperties(delivery_mode=2)) for b in messages])


@FUZZ
@given(st.lists(st.tuples(bodies, properties), min_size=1, max_size=4))
def test_malformed_properties_never_stop_the_consumer(db, worker, bus, settings, messages):
    _bad_then_good(bus, settings, worker, messages)
