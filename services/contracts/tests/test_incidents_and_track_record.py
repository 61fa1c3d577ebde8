"""Incident reports, the track record per company, and the events that feed it."""

import uuid
from datetime import datetime, timezone

import pytest


def test_company_reports_an_incident_and_support_hears_of_it(world, worker, bus):
    capture = bus.capture("contracts.incident.reported")
    company = world.company()
    proposal_id = str(uuid.uuid4())
    contract = world.contract(company, active=False, proposal_id=proposal_id)  # reporting early works before countersigning
    url = f"/api/v1/contracts/{contract['id']}/incidents"
    body = {"kind": "payment_delay", "severity": "high", "description": "Miete Juni fehlt"}
    assert world.client.post(url, json=body, headers=world.tokens.staff()).status_code == 403
    response = world.client.post(url, json=body, headers=world.tokens.company(company))
    assert response.status_code == 201
    event = capture.wait_for("contracts.incident.reported")
    assert event["data"] == {"incident_id": response.json["id"], "contract_id": contract["id"],
                             "contract_no": contract["contract_no"], "proposal_id": proposal_id,
                             "household_id": contract["household_id"], "household_reference": contract["household_reference"], "company_id": company,
                             "kind": "payment_delay", "severity": "high"}
    listed = world.client.get("/api/v1/incidents?severity=high", headers=world.tokens.company(company)).json
    assert [i["id"] for i in listed] == [response.json["id"]]


@pytest.mark.parametrize(("change", "field"), [({"kind": "fire"}, "kind"), ({"severity": "extreme"}, "severity"),
                                               ({"description": ""}, "description")])
def test_bad_incident_input(world, change, field):
    company = world.company()
    contract = world.contract(company)
    body = {"kind": "damage", "severity": "low", "description": "x", **change}
    response = world.client.post(f"/api/v1/contracts/{contract['id']}/incidents", json=body,
                                 headers=world.tokens.company(company))
    assert response.status_code == 422 and field in response.json["errors"]["json"]


def test_no_incident_on_an_ended_contract(world):
    company = world.company()
    contract = world.contract(company)
    world.client.post(f"/api/v1/contracts/{contract['id']}/terminate",
                      json={"reason": "move_out", "effective_on": "2027-05-31"}, headers=world.tokens.staff())
    response = world.client.post(f"/api/v1/contracts/{contract['id']}/incidents",
                                 json={"kind": "damage", "severity": "low", "description": "x"},
                                 headers=world.tokens.company(company))
    assert response.status_code == 409


def test_track_record_counts_matching_events_and_own_figures(world, worker, bus, wait_until):
    company = world.company(quota_flats_per_year=2)
    flats = [str(uuid.uuid4()) for _ in range(3)]
    for flat in flats:
        bus.publish("matching.flat.offered", {"flat_id": flat, "company_id": company, "district": "Süd",
                                              "rooms": 2, "gross_rent_cents": 90_000}, source="matching")
    proposals = [str(uuid.uuid4()) for _ in range(3)]
    for p in proposals:
        bus.publish("matching.proposal.created", {"proposal_id": p, "flat_id": flats[0], "household_id": "h",
                                                  "company_id": company, "respond_by": "2027-07-01"},
                    source="matching")
    bus.publish("matching.proposal.accepted", {"proposal_id": proposals[0], "party": "company"}, source="matching")
    declined = bus.publish("matching.proposal.declined", {"proposal_id": proposals[1], "party": "household",
                                                          "reason": "zu weit"}, source="matching")
    bus.publish("matching.proposal.declined", declined.data, event_id=declined.id, source="matching")  # redelivery
    bus.publish("matching.proposal.expired", {"proposal_id": proposals[2]}, source="matching")
    contract = world.contract(company, lease_start="2027-03-01")
    claim = world.claim(contract, kind="damage_repairs", amount=10_000)
    world.client.post(f"/api/v1/claims/{claim['id']}/decision", json={"decision": "approve"},
                      headers=world.tokens.finance())
    world.client.post(f"/api/v1/claims/{claim['id']}/payout", json={"reference": "Z-1"},
                      headers=world.tokens.finance())
    url = f"/api/v1/companies/{company}/track-record?year=2027"
    assert world.client.get(url, headers=world.tokens.company(company)).status_code == 403

    # matching's events carry their own occurred_at (real time): they count in the real year
    body = wait_until(lambda: record_or_none(world, company))
    assert body["flats_offered"] == 3 and body["quota_met"] is True
    assert body["proposals_received"] == 3
    assert body["proposals_accepted_by_company"] == 1
    assert body["proposals_declined_by_household"] == 1
    assert body["proposals_expired"] == 1
    own = world.client.get(url, headers=world.tokens.staff()).json
    assert own["tenancies_started"] == 1
    assert own["guarantees_active"] == 1
    assert own["claims_filed"] == 1 and own["claims_by_status"]["paid"] == 1
    assert own["payouts_cents"] == 10_000 and own["claims_approved_cents"] == 10_000


def record_or_none(world, company):
    year = datetime.now(timezone.utc).year
    body = world.client.get(f"/api/v1/companies/{company}/track-record?year={year}",
                            headers=world.tokens.staff()).json
    return body if body["proposals_expired"] == 1 and body["proposals_declined_by_household"] == 1 else None


def test_track_record_of_unknown_company_is_404(world):
    assert world.client.get(f"/api/v1/companies/{uuid.uuid4()}/track-record",
                            headers=world.tokens.staff()).status_code == 404
