"""The four services as real processes pass events to each other over the real broker."""

from __future__ import annotations

import uuid

import requests

from servicekit.testing import wait_until


def _get(url, headers):
    response = requests.get(url, headers=headers, timeout=5)
    return response.json() if response.status_code == 200 else None


def test_a_referral_in_matching_reaches_the_staff_inbox_in_notifications(system):
    staff = system.token("staff")
    referral = {"referral_no": f"AS-E2E-{uuid.uuid4().hex[:6]}", "adults": 2, "children": 2,
                "urgency": "emergency_accommodation", "name": "Familie Test"}
    created = requests.post(f"{system.url('matching')}/api/v1/households", json=referral, headers=staff, timeout=5)
    assert created.status_code == 201, created.text

    def staff_notification():
        listed = _get(f"{system.url('notifications')}/api/v1/inbox?page_size=100", staff) or []
        return [n for n in listed if n["event_type"] == "matching.household.referred" and "4 Person" in n["body"]]

    [note] = wait_until(staff_notification, timeout=20)
    assert "Familie Test" not in note["body"]


def test_a_signed_lease_reaches_contracts_and_support(system, bus):
    company_id, household_id, proposal_id = (str(uuid.uuid4()) for _ in range(3))
    bus.publish("matching.tenancy.agreed", {
        "proposal_id": proposal_id, "flat_id": str(uuid.uuid4()), "household_id": household_id,
        "company_id": company_id, "lease_start": "2026-12-01", "cold_rent_cents": 61_800,
        "service_charges_cents": 17_500, "heating_cents": 9_000,
        "address": {"street": "Hauptstätter Str. 1", "postal_code": "70173", "city": "Stuttgart", "district": "Mitte"},
        "household": {"name": "Familie Test", "email": None, "phone": None, "size": 2},
        "household_reference": "AS-E2E-1",
    }, source="matching")
    staff = system.token("staff")
    tenancies = wait_until(lambda: [t for t in _get(f"{system.url('contracts')}/api/v1/tenancies", staff) or []
                                    if t["proposal_id"] == proposal_id], timeout=20)
    assert tenancies[0]["company_id"] == company_id
    cases = wait_until(lambda: [c for c in _get(f"{system.url('support')}/api/v1/cases", staff) or []
                                if c["household_id"] == household_id], timeout=20)
    assert len(cases) == 1
