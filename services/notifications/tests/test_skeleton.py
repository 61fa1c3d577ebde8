"""A referral event becomes one German staff notification, whatever the redelivery."""

import uuid


def test_household_referred_becomes_one_staff_notification(client, tokens, worker, bus, wait_until):
    data = {"household_id": str(uuid.uuid4()), "size": 4, "urgency": "emergency_accommodation"}
    event = bus.publish("matching.household.referred", data, source="matching")
    bus.publish("matching.household.referred", data, event_id=event.id, source="matching")

    def listed():
        response = client.get("/api/v1/notifications?event_type=matching.household.referred", headers=tokens.staff())
        return response.json if response.status_code == 200 and response.json else None

    notes = wait_until(listed)
    assert len(notes) == 1
    assert notes[0]["subject"] == "Neuer Haushalt in der Vermittlung"
    body = client.get(f"/api/v1/notifications/{notes[0]['id']}", headers=tokens.staff()).json["body"]
    assert "4 Person(en)" in body and "Notunterkunft" in body


def test_only_staff_read_the_staff_list(client, tokens):
    assert client.get("/api/v1/notifications", headers=tokens.company(str(uuid.uuid4()))).status_code == 403
    assert client.get("/api/v1/notifications").status_code == 401
