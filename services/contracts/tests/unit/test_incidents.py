from datetime import date

import pytest

from contracts.domain import (
    IncidentKind,
    RuleViolation,
    Severity,
    StateConflict,
    TerminationReason,
    report_incident,
)
from contracts_unit_helpers import at, make_contract


def report(contract, description="Miete seit zwei Wochen offen"):
    return report_incident(
        contract, incident_id="i-1", kind=IncidentKind.PAYMENT_DELAY, severity=Severity.HIGH,
        description=description, by="company-user", at=at(date(2027, 1, 5)),
    )


@pytest.mark.parametrize("active", [True, False])
def test_report_on_a_running_tenancy_announces_it_without_personal_details(active):
    incident, event = report(make_contract(active=active))
    assert incident.kind is IncidentKind.PAYMENT_DELAY
    assert event.type == "contracts.incident.reported"
    # the references people quote, never the description
    assert set(event.data) == {"incident_id", "contract_id", "contract_no", "proposal_id", "household_id",
                               "household_reference", "company_id", "kind", "severity"}
    assert event.data["severity"] == "high"


def test_no_report_after_the_end_and_none_without_description():
    contract = make_contract()
    with pytest.raises(RuleViolation):
        report(contract, description="   ")
    contract.terminate(TerminationReason.MOVE_OUT, effective_on=date(2026, 12, 31), at=at(date(2027, 1, 1)))
    with pytest.raises(StateConflict):
        report(contract)
