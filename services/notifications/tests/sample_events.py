"""One sample envelope per routed event type, shaped as its producer publishes it (each sample is
checked against the producing service's asyncapi.yaml in tests/unit/test_messages.py)."""

from __future__ import annotations

import uuid
from typing import Any

COMPANY_ID = "7f1c2a4e-2b1d-4c55-9a0e-1f2e3d4c5b6a"
OTHER_COMPANY_ID = "0b9a8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d"
HOUSEHOLD_ID = "c3d4e5f6-a7b8-4c9d-8e0f-112233445566"
CASEWORKER_ID = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"
CONTRACT_ID = "d4e5f6a7-b8c9-4d0e-9f1a-2b3c4d5e6f70"
CASE_ID = "e5f6a7b8-c9d0-4e1f-8a2b-3c4d5e6f7081"
CASE_REFERENCE = "SUP-2026-3FA9C21B"
HOUSEHOLD_REFERENCE = "AS-2026-0815"
CONTRACT_NO = "GV-2026-00042"
CLAIM_ID = "f6a7b8c9-d0e1-4f2a-9b3c-4d5e6f708192"
PROPOSAL_ID = "0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d"
FLAT_ID = "1b2c3d4e-5f6a-4b7c-9d8e-9f0a1b2c3d4e"

CONTRACT = {
    "contract_id": CONTRACT_ID,
    "contract_no": CONTRACT_NO,
    "company_id": COMPANY_ID,
    "household_id": HOUSEHOLD_ID,
    "household_reference": HOUSEHOLD_REFERENCE,
    "term_start": "2026-03-01",
    "term_end": "2031-02-28",
}
CLAIM = {
    "claim_id": CLAIM_ID,
    "contract_id": CONTRACT_ID,
    "contract_no": CONTRACT_NO,
    "company_id": COMPANY_ID,
    "household_id": HOUSEHOLD_ID,
    "household_reference": HOUSEHOLD_REFERENCE,
    "kind": "rent_arrears",
    "amount_cents": 123456,
    "period": {"first": "2026-11", "last": "2026-12"},
    "submitted_on": "2027-01-05",
}
APPOINTMENT = {
    "appointment_id": "2c3d4e5f-6a7b-4c8d-9e0f-a1b2c3d4e5f6",
    "case_id": CASE_ID,
    "case_reference": CASE_REFERENCE,
    "household_id": HOUSEHOLD_ID,
    "caseworker_id": CASEWORKER_ID,
    "kind": "home_visit",
    # 09:00 UTC is 10:00 in Berlin in March (CET)
    "starts_at": "2026-03-02T09:00:00Z",
    "ends_at": "2026-03-02T10:00:00Z",
}

SAMPLE_DATA: dict[str, dict[str, Any]] = {
    "matching.proposal.created": {
        "proposal_id": PROPOSAL_ID,
        "flat_id": FLAT_ID,
        "household_id": HOUSEHOLD_ID,
        "company_id": COMPANY_ID,
        "respond_by": "2026-03-06",
        "district": "Bad Cannstatt",
        "rooms": 2.5,
        "unit_ref": "BC-2-07",
        "address": {"street": "Marktstraße 7", "postal_code": "70372", "city": "Stuttgart",
                    "district": "Bad Cannstatt"},
        "household_reference": HOUSEHOLD_REFERENCE,
    },
    "matching.tenancy.agreed": {
        "proposal_id": PROPOSAL_ID,
        "flat_id": FLAT_ID,
        "household_id": HOUSEHOLD_ID,
        "company_id": COMPANY_ID,
        "lease_start": "2026-03-01",
        "lease_unlimited": True,
        "cold_rent_cents": 61800,
        "service_charges_cents": 15000,
        "heating_cents": 8550,
        "address": {
            "street": "Königstraße 12",
            "postal_code": "70173",
            "city": "Stuttgart",
            "district": "Mitte",
        },
        "household": {
            "name": "Jürgen Müller",
            "email": "juergen.mueller@example.org",
            "phone": "+49 711 123456",
            "size": 2,
        },
        "household_reference": HOUSEHOLD_REFERENCE,
    },
    "matching.household.referred": {
        "household_id": HOUSEHOLD_ID,
        "size": 2,
        "urgency": "threatened_homelessness",
        "household_reference": HOUSEHOLD_REFERENCE,
    },
    "contracts.company.registered": {
        "company_id": COMPANY_ID,
        "name": "Süd-Wohnbau GmbH & Co. KG",
        "email": "vermietung@sued-wohnbau.example",
    },
    "contracts.contract.created": dict(CONTRACT),
    "contracts.contract.activated": dict(CONTRACT),
    "contracts.contract.expiring": dict(CONTRACT, days_left=90),
    "contracts.contract.expired": dict(CONTRACT, reason="term_ended"),
    "contracts.contract.terminated": dict(CONTRACT, reason="move_out", effective_on="2027-06-30"),
    "contracts.claim.submitted": dict(CLAIM, resubmission=False),
    "contracts.claim.decided": dict(
        CLAIM, approved_cents=100000, status="partially_approved", reason="Teilbetrag belegt"
    ),
    "contracts.claim.paid": dict(CLAIM, approved_cents=100000, status="paid", payout_reference="ZA-2027-4711"),
    "contracts.incident.reported": {
        "incident_id": "3d4e5f6a-7b8c-4d9e-8f0a-b1c2d3e4f5a6",
        "contract_id": CONTRACT_ID,
        "contract_no": CONTRACT_NO,
        "household_id": HOUSEHOLD_ID,
        "household_reference": HOUSEHOLD_REFERENCE,
        "company_id": COMPANY_ID,
        "kind": "payment_delay",
        "severity": "high",
    },
    "support.caseworker.registered": {
        "caseworker_id": CASEWORKER_ID,
        "name": "Dörte Weiß",
        "email": "doerte.weiss@stuttgart.example",
    },
    "support.case.opened": {
        "case_id": CASE_ID,
        "case_reference": CASE_REFERENCE,
        "household_id": HOUSEHOLD_ID,
        "company_id": COMPANY_ID,
        "contract_id": CONTRACT_ID,
        "contract_no": CONTRACT_NO,
        "contact_person_id": CASEWORKER_ID,
        "social_worker_id": "6f7a8b9c-0d1e-4f2a-8b3c-4d5e6f7a8b9c",
        "household": {"name": "Jürgen Müller", "email": "juergen.mueller@example.org", "phone": "+49 711 123456"},
        "support_start": "2026-03-01",
        "contact_person": {
            "id": CASEWORKER_ID,
            "name": "Dörte Weiß",
            "email": "doerte.weiss@stuttgart.example",
            "phone": "+49 711 216-0",
        },
    },
    "support.case.closed": {
        "case_id": CASE_ID,
        "household_id": HOUSEHOLD_ID,
        "contact_person_id": CASEWORKER_ID,
        "outcome": "independent",
    },
    "support.appointment.scheduled": dict(APPOINTMENT),
    "support.appointment.rescheduled": dict(APPOINTMENT, starts_at="2026-03-04T13:30:00Z", ends_at="2026-03-04T14:30:00Z"),
    "support.appointment.cancelled": dict(APPOINTMENT, reason="Krankheit"),
    "support.case.at_risk": {
        "case_id": CASE_ID,
        "case_reference": CASE_REFERENCE,
        "household_id": HOUSEHOLD_ID,
        "contact_person_id": CASEWORKER_ID,
        "trigger": "rent_arrears",
        "deadline": "2026-03-04T16:00:00Z",
    },
    "support.crisis.breached": {
        "crisis_id": "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b",
        "case_id": CASE_ID,
        "case_reference": CASE_REFERENCE,
        "household_id": HOUSEHOLD_ID,
        "contact_person_id": CASEWORKER_ID,
        "deadline": "2026-03-04T16:00:00Z",
    },
    "matching.household.erasure_requested": {
        "household_id": HOUSEHOLD_ID,
        "request_id": "8a9b0c1d-2e3f-4a5b-8c6d-7e8f9a0b1c2d",
        "reason": "request",
    },
    "notifications.household.erased": {
        "household_id": HOUSEHOLD_ID,
        "request_id": "8a9b0c1d-2e3f-4a5b-8c6d-7e8f9a0b1c2d",
        "status": "erased",
        "hold": None,
    },
    "notifications.delivery.failed": {
        "notification_id": "4e5f6a7b-8c9d-4e0f-9a1b-c2d3e4f5a6b7",
        "recipient": f"company:{COMPANY_ID}",
        "channel": "email",
        "reason": "smtp 550",
    },
}


def envelope(event_type: str, data: dict[str, Any] | None = None, **overrides: Any) -> dict[str, Any]:
    body = {
        "id": str(uuid.uuid4()),
        "type": event_type,
        "version": 1,
        "occurred_at": "2026-02-27T08:15:00Z",
        "source": event_type.split(".")[0],
        "correlation_id": str(uuid.uuid4()),
        "data": SAMPLE_DATA[event_type] if data is None else data,
    }
    body.update(overrides)
    return body
