"""Matching's events on the real broker: what it publishes and what it consumes."""

from sqlalchemy import select

from matching.models import Household


def _refer(client, tokens, referral_no="AS-2026-0100"):
    response = client.post(
        "/api/v1/households",
        json={"referral_no": referral_no, "adults": 1, "urgency": "emergency_accommodation", "name": "A. B."},
        headers={**tokens.staff(), "X-Correlation-ID": "corr-123"},
    )
    assert response.status_code == 201
    return response.json


def test_referral_is_published_with_envelope_and_properties(client, tokens, worker, bus):
    capture = bus.capture("matching.#")
    household = _refer(client, tokens)
    envelope = capture.wait_for("matching.household.referred", lambda e: e["data"]["household_id"] == household["id"])
    assert envelope["source"] == "matching" and envelope["version"] == 1
    assert envelope["correlation_id"] == "corr-123"
    assert envelope["data"] == {"household_id": household["id"], "size": 1, "urgency": "emergency_accommodation",
                                "household_reference": "AS-2026-0100"}
    props = capture.properties_of(envelope["id"])
    assert props.message_id == envelope["id"] and props.type == "matching.household.referred"
    assert props.delivery_mode == 2 and props.content_type == "application/json"
    assert props.app_id == "matching" and props.correlation_id == "corr-123" and props.timestamp


def _consumed(outcome):
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value(
        "bus_events_consumed_total",
        {"service": "matching", "type": "contracts.contract.terminated", "outcome": outcome},
    ) or 0


def test_contract_terminated_takes_the_household_out_once(client, tokens, worker, bus, db, wait_until):
    household = _refer(client, tokens, "AS-2026-0101")
    duplicates_before = _consumed("duplicate")
    event = bus.publish("contracts.contract.terminated",
                        {"contract_id": "x", "household_id": household["id"], "reason": "move_out"})
    bus.publish("contracts.contract.terminated", event.data, event_id=event.id)  # the same message again

    wait_until(lambda: _consumed("duplicate") == duplicates_before + 1)
    with db.session() as s:
        assert s.scalar(select(Household.status).where(Household.id == household["id"])) == "left_program"
        from servicekit.db import audit_log

        assert len(s.execute(select(audit_log).where(audit_log.c.action == "left_program")).all()) == 1
