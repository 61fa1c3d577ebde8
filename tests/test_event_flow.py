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


def test_tenancy_agreed_in_version_1_and_2_side_by_side_takes_effect_once_in_every_consumer(system, bus):
    """docs/EVENT-CHANGES.md: an old matching's version 1 alone, the new matching's pair (v1 + v2 of one
    fact), and version 2 alone each make one tenancy, one case and one set of messages; of the pair,
    the consumers act on version 2 (its referral number wins)."""
    staff = system.token("staff")

    def lease(ref: str) -> dict:
        return {"proposal_id": str(uuid.uuid4()), "flat_id": str(uuid.uuid4()), "household_id": str(uuid.uuid4()),
                "company_id": str(uuid.uuid4()), "lease_start": "2026-12-01", "cold_rent_cents": 61_800,
                "service_charges_cents": 17_500, "heating_cents": 9_000,
                "address": {"street": "Hauptstätter Str. 1", "postal_code": "70173", "city": "Stuttgart",
                            "district": "Mitte"},
                "household": {"name": "Familie Test", "email": None, "phone": None, "size": 2},
                "household_reference": ref}

    def v2(data: dict, ref: str) -> dict:
        return {**{k: v for k, v in data.items() if k != "household_reference"}, "referral_no": ref}

    old, pair, new = lease("AS-V1-only"), lease("AS-V1-of-pair"), lease("unused")
    bus.publish("matching.tenancy.agreed", old, source="matching")
    bus.publish("matching.tenancy.agreed", pair, source="matching", version=1, published_versions=(1, 2))
    bus.publish("matching.tenancy.agreed", v2(pair, "AS-V2-of-pair"), source="matching", version=2,
                published_versions=(1, 2))
    bus.publish("matching.tenancy.agreed", v2(new, "AS-V2-only"), source="matching", version=2)

    expected = {old["household_id"]: "AS-V1-only", pair["household_id"]: "AS-V2-of-pair",
                new["household_id"]: "AS-V2-only"}
    for household_id, reference in expected.items():
        cases = wait_until(lambda: [c for c in _get(f"{system.url('support')}/api/v1/cases?household_id={household_id}",
                                                    staff) or []], timeout=30)
        assert [c["referral_no"] for c in cases] == [reference]
        tenancies = wait_until(lambda: [t for t in _get(f"{system.url('contracts')}/api/v1/tenancies", staff) or []
                                        if t["household_id"] == household_id], timeout=30)
        assert [t["referral_no"] for t in tenancies] == [reference]
        notes = wait_until(lambda: _get(f"{system.url('notifications')}/api/v1/notifications?household_id="
                                        f"{household_id}&event_type=matching.tenancy.agreed", staff), timeout=30)
        assert len({n["event_id"] for n in notes}) == 1  # one of the pair's two messages wrote them
    # everything has settled: still one case for the pair's household (the v1 message had no effect)
    assert len(_get(f"{system.url('support')}/api/v1/cases?household_id={pair['household_id']}", staff)) == 1
