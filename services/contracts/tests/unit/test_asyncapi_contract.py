"""The events the domain produces match the service's published contract (asyncapi.yaml)."""

from datetime import date
from pathlib import Path

import jsonschema
import pytest
import yaml

from contracts.config import load_program_config
from contracts.domain import (
    Decision,
    GuaranteeContract,
    Party,
    EvidenceInfo,
    EvidenceKind,
    IncidentKind,
    LossKind,
    Month,
    MonthPeriod,
    Severity,
    TerminationReason,
    report_incident,
)
from contracts_unit_helpers import at, make_contract

SPEC = yaml.safe_load((Path(__file__).parents[2] / "asyncapi.yaml").read_text())


def _schema(event_type: str) -> dict:
    channel = next(c for c in SPEC["channels"].values() if c["address"] == event_type)
    message_ref = next(iter(channel["messages"].values()))["$ref"].split("/")[-1]
    return {"$ref": f"#/components/messages/{message_ref}/payload", "components": SPEC["components"]}


def validate(event_type: str, data: dict) -> None:
    jsonschema.validate(data, _schema(event_type), format_checker=jsonschema.FormatChecker())


def schema_errors(event_type: str, data: dict) -> list[str]:
    """Where `data` breaks the published schema of `event_type` ([] = it fits)."""
    schema = _schema(event_type)
    validator = jsonschema.validators.validator_for(schema)(schema, format_checker=jsonschema.FormatChecker())
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(data)]


def all_events():
    """One of every event type the domain publishes, produced by the real domain operations."""
    events = []
    fresh = GuaranteeContract.create(id="00000000-0000-4000-8000-000000000001", contract_no="GV-2026-00001",
                                     company_id="co", household_id="hh", proposal_id="p-1", lease_start=date(2026, 3, 1),
                                     coverage=load_program_config().coverage, monthly_covered_rent_cents=80_000,
                                     term_years=5)
    fresh.sign(Party.CITY, by="s", at=at(date(2026, 3, 1)))
    fresh.sign(Party.COMPANY, by="c", at=at(date(2026, 3, 1)))
    ids = iter(f"00000000-0000-4000-8000-00000000001{i}" for i in range(10))
    ledger = [EvidenceInfo(EvidenceKind.RENT_LEDGER, "m.pdf", "application/pdf", 10)]
    invoice = [EvidenceInfo(EvidenceKind.INVOICE, "r.pdf", "application/pdf", 10)]
    a = fresh.file_claim(claim_id=next(ids), kind=LossKind.RENT_ARREARS, amount_cents=1000,
                         period=MonthPeriod(Month(2027, 1), Month(2027, 2)), description="d", evidence=ledger,
                         at=at(date(2027, 6, 1)), grace_days=180)
    b = fresh.file_claim(claim_id=next(ids), kind=LossKind.DAMAGE_REPAIRS, amount_cents=1000, period=None,
                         description="d", evidence=invoice, at=at(date(2027, 6, 1)), grace_days=180)
    fresh.decide_claim(a.id, Decision.APPROVE, by="f", at=at(date(2027, 6, 2)))
    fresh.decide_claim(b.id, Decision.RETURN, by="f", at=at(date(2027, 6, 2)), reason="?")
    fresh.record_payout(a.id, by="f", at=at(date(2027, 6, 3)), reference="Z")
    fresh.send_expiry_notice(90, today=date(2030, 12, 1), thresholds=(90, 30))
    _, incident = report_incident(fresh, incident_id=next(ids), kind=IncidentKind.DAMAGE, severity=Severity.LOW,
                                  description="x", by="c", at=at(date(2027, 6, 1)))
    events.extend(fresh.events)
    events.append(incident)
    ended = make_contract()
    ended.id = "00000000-0000-4000-8000-000000000002"
    ended.terminate(TerminationReason.NOTICE, effective_on=date(2027, 1, 31), at=at(date(2027, 1, 1)))
    events.extend(ended.events)
    expired = make_contract(date(2020, 1, 1))
    expired.id = "00000000-0000-4000-8000-000000000003"
    expired.expire(today=date(2025, 1, 1), at=at(date(2025, 1, 1)))
    events.extend(expired.events)
    return events


EVENTS = all_events()


def test_every_published_event_type_is_exercised():
    published = {c["address"] for c in SPEC["channels"].values() if c["address"].startswith("contracts.")}
    # company events come from the API, the erasure answer from the erasure tests (test_privacy_erasure.py)
    assert {e.type for e in EVENTS} == published - {"contracts.company.registered", "contracts.company.updated",
                                                     "contracts.household.erased"}


@pytest.mark.parametrize("event", EVENTS, ids=[e.type for e in EVENTS])
def test_event_data_matches_asyncapi(event):
    assert schema_errors(event.type, event.data) == []


def test_the_spec_refuses_what_it_should():
    good = next(e for e in EVENTS if e.type == "contracts.contract.created")
    with pytest.raises(jsonschema.ValidationError):
        validate(good.type, {**good.data, "contract_no": "GV-26-1"})
    with pytest.raises(jsonschema.ValidationError):
        validate(good.type, {k: v for k, v in good.data.items() if k != "term_end"})


def test_what_matching_sends_is_what_contracts_documents_it_reads():
    """matching's lease event as its service builds it (services/matching) fits contracts' spec, and
    contracts' own reading schema accepts it."""
    from contracts.schemas import TenancyEvent

    sent = {"proposal_id": "p-1", "flat_id": "f-1", "household_id": "h-1", "company_id": "c-1",
            "lease_start": "2026-12-01", "lease_unlimited": True, "cold_rent_cents": 61_800, "service_charges_cents": 17_500,
            "heating_cents": 9_000, "household_reference": "AS-2026-1",
            "address": {"street": "Hauptstätter Str. 1", "postal_code": "70173", "city": "Stuttgart",
                        "district": "Mitte"},
            "household": {"name": "Familie Test", "email": None, "phone": None, "size": 2}}
    validate("matching.tenancy.agreed", sent)
    assert TenancyEvent().load(sent)["household"]["size"] == 2
    assert TenancyEvent().load(sent)["lease_unlimited"] is True
    # an event published before matching sent it: unknown, not "unlimited"
    assert TenancyEvent().load({k: v for k, v in sent.items() if k != "lease_unlimited"})["lease_unlimited"] is None
    with pytest.raises(jsonschema.ValidationError):
        validate("matching.tenancy.agreed", {k: v for k, v in sent.items() if k != "lease_start"})


def test_events_carry_the_references_people_quote():
    """Notifications names a claim by contract number, kind and filing date and a household by its
    referral number; those travel in the events themselves (issue 22)."""
    contract = GuaranteeContract.create(id="00000000-0000-4000-8000-000000000009", contract_no="GV-2026-00009",
                                        company_id="co", household_id="hh", proposal_id="p-1", lease_start=date(2026, 3, 1),
                                        coverage=load_program_config().coverage, monthly_covered_rent_cents=80_000,
                                        term_years=5, household_reference="AS-2026-0815")
    contract.sign(Party.CITY, by="s", at=at(date(2026, 3, 1)))
    contract.sign(Party.COMPANY, by="c", at=at(date(2026, 3, 1)))
    ledger = [EvidenceInfo(EvidenceKind.RENT_LEDGER, "m.pdf", "application/pdf", 10)]
    claim = contract.file_claim(claim_id="00000000-0000-4000-8000-000000000019", kind=LossKind.RENT_ARREARS,
                                amount_cents=1000, period=MonthPeriod(Month(2027, 1), Month(2027, 1)),
                                description="d", evidence=ledger, at=at(date(2027, 2, 3)), grace_days=180)
    contract.decide_claim(claim.id, Decision.RETURN, by="f", at=at(date(2027, 2, 4)), reason="Beleg fehlt")
    contract.resubmit_claim(claim.id, amount_cents=None, description="mit Beleg", at=at(date(2027, 2, 10)),
                            grace_days=180)
    contract.decide_claim(claim.id, Decision.APPROVE, by="f", at=at(date(2027, 2, 11)))
    contract.record_payout(claim.id, by="f", at=at(date(2027, 2, 12)), reference="ZA-2027-4711")
    _, incident = report_incident(contract, incident_id="00000000-0000-4000-8000-000000000029",
                                  kind=IncidentKind.DAMAGE, severity=Severity.LOW, description="x", by="c",
                                  at=at(date(2027, 2, 1)))
    events = {e.type: e.data for e in [*contract.events, incident]}
    assert events["contracts.contract.activated"]["household_reference"] == "AS-2026-0815"
    for claim_event in ("contracts.claim.submitted", "contracts.claim.decided", "contracts.claim.paid"):
        data = events[claim_event]
        assert (data["contract_no"], data["household_reference"]) == ("GV-2026-00009", "AS-2026-0815")
        assert data["submitted_on"] == "2027-02-03", "the filing date survives the resubmission"
        validate(claim_event, data)
    assert events["contracts.claim.paid"]["payout_reference"] == "ZA-2027-4711"
    assert events["contracts.incident.reported"]["contract_no"] == "GV-2026-00009"
    assert events["contracts.incident.reported"]["household_reference"] == "AS-2026-0815"


def test_every_contract_claim_and_incident_event_names_the_proposal():
    """The lease's proposal_id is the key every service stores for a tenancy; each event about a
    contract, its claims or its incidents carries it, so consumers find their records by it."""
    expected = {"00000000-0000-4000-8000-000000000001": "p-1"}  # the fresh contract; the others are make_contract's
    assert [(e.type, e.data["proposal_id"]) for e in EVENTS] == [
        (e.type, expected.get(e.data["contract_id"], "proposal-1")) for e in EVENTS]
