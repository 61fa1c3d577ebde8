"""What matching publishes, as it arrives on the real broker, against its own asyncapi.yaml."""

from pathlib import Path

import jsonschema
import yaml

from tests.helpers import COMPANY, one_proposal, refer

SPEC = yaml.safe_load((Path(__file__).parents[1] / "asyncapi.yaml").read_text(encoding="utf-8"))


def validate(message: str, data: dict) -> None:
    schema = {**SPEC["components"]["messages"][message]["payload"], "components": SPEC["components"]}
    jsonschema.validate(data, schema, format_checker=jsonschema.FormatChecker())


def test_proposal_lease_and_answers_arrive_as_documented(client, tokens, clock, worker, bus):
    capture = bus.capture("matching.#")
    flat, household, p = one_proposal(client, tokens, clock)
    client.post(f"/api/v1/proposals/{p['id']}/accept", json={}, headers=tokens.company(COMPANY))
    client.post(f"/api/v1/proposals/{p['id']}/accept", json={"party": "household"}, headers=tokens.staff())
    r = client.post(f"/api/v1/proposals/{p['id']}/lease", headers=tokens.company(COMPANY), json={
        "lease_start": "2026-04-01", "unlimited": True, "cold_rent_cents": 48_000,
        "service_charges_cents": 12_000, "heating_cents": 7_000})
    assert r.status_code == 200

    by_proposal = lambda e: e["data"].get("proposal_id") == p["id"]  # noqa: E731
    agreed = capture.wait_for("matching.tenancy.agreed", lambda e: by_proposal(e) and e["version"] == 1)
    validate("tenancyAgreed", agreed["data"])
    assert agreed["data"]["household_reference"] == household["referral_no"]
    # contracts prints "unbefristet" from this, not on trust (issue 18)
    assert agreed["data"]["lease_unlimited"] is True
    assert capture.properties_of(agreed["id"]).type == "matching.tenancy.agreed"
    agreed_v2 = capture.wait_for("matching.tenancy.agreed", lambda e: by_proposal(e) and e["version"] == 2)
    validate("tenancyAgreedV2", agreed_v2["data"])
    assert agreed_v2["data"]["referral_no"] == household["referral_no"] and "household_reference" not in agreed_v2["data"]
    assert agreed["published_versions"] == agreed_v2["published_versions"] == [1, 2]
    created = capture.wait_for("matching.proposal.created", by_proposal)["data"]
    validate("proposalCreated", created)
    # the references notifications names flat and household by (issue 22)
    assert created["household_reference"] == household["referral_no"]
    assert created["address"]["street"] == flat["street"] and created["unit_ref"] == flat["unit_ref"]
    validate("flat", capture.wait_for("matching.flat.offered", lambda e: e["data"]["flat_id"] == flat["id"])["data"])
    referred = capture.wait_for("matching.household.referred", lambda e: e["data"]["household_id"] == household["id"])
    validate("householdReferred", referred["data"])
    assert referred["data"]["household_reference"] == household["referral_no"]
    accepted = capture.wait_for("matching.proposal.accepted", lambda e: by_proposal(e) and e["data"]["both_accepted"])
    validate("proposalAnswer", accepted["data"])


def test_an_invalid_payload_would_fail_the_contract():
    import pytest

    with pytest.raises(jsonschema.ValidationError):
        validate("proposalCreated", {"proposal_id": "x"})


def test_erasure_request_and_the_answers_it_expects_are_documented(client, tokens, worker, bus):
    import pytest

    capture = bus.capture("matching.household.#")
    household = refer(client, tokens)
    r = client.post(f"/api/v1/households/{household['id']}/erasure", json={}, headers=tokens.headers("dpo"))
    assert r.status_code == 202
    requested = capture.wait_for("matching.household.erasure_requested",
                                 lambda e: e["data"]["household_id"] == household["id"])
    validate("householdErasureRequested", requested["data"])
    answer = {"household_id": household["id"], "request_id": r.json["id"]}
    validate("householdErased", {**answer, "status": "postponed", "hold": "open_claim"})
    validate("householdErased", {**answer, "status": "erased", "hold": None})
    with pytest.raises(jsonschema.ValidationError):
        validate("householdErased", {**answer, "status": "done"})
