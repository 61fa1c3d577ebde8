from datetime import date

import pytest

from contracts.domain import ContractState, Party, RuleViolation, StateConflict, TerminationReason

from contracts_unit_helpers import at, make_contract


def test_new_contract_is_a_draft_with_caps_copied_from_config(config):
    contract = make_contract(active=False)
    assert contract.state is ContractState.DRAFT
    assert contract.coverage == config.coverage
    assert contract.remaining_by_cap() == {c.name: c.cap_cents for c in config.coverage.caps}


def test_created_event_carries_the_catalogue_fields():
    from contracts.domain import GuaranteeContract

    contract = GuaranteeContract.create(
        id="c-1", contract_no="GV-2026-00007", company_id="co", household_id="hh",
        proposal_id="p-1", lease_start=date(2028, 2, 29), coverage=make_contract().coverage,
        monthly_covered_rent_cents=70_000, term_years=5,
    )
    [event] = contract.events
    assert event.type == "contracts.contract.created"
    assert event.data == {
        "contract_id": "c-1", "contract_no": "GV-2026-00007", "company_id": "co", "household_id": "hh",
        "proposal_id": "p-1", "household_reference": None, "term_start": "2028-02-29", "term_end": "2033-02-28",
    }


@pytest.mark.parametrize("order", [(Party.CITY, Party.COMPANY), (Party.COMPANY, Party.CITY)])
def test_active_once_both_parties_signed_in_any_order(order):
    contract = make_contract(active=False)
    contract.sign(order[0], by="a", at=at(date(2026, 2, 1)))
    assert contract.state is ContractState.DRAFT
    assert contract.events == []
    contract.sign(order[1], by="b", at=at(date(2026, 2, 2)))
    assert contract.state is ContractState.ACTIVE
    assert contract.activated_at == at(date(2026, 2, 2))
    assert [e.type for e in contract.events] == ["contracts.contract.activated"]


@pytest.mark.parametrize("party", list(Party))
def test_signing_twice_is_a_conflict_and_changes_nothing(party):
    contract = make_contract(active=False)
    contract.sign(party, by="first", at=at(date(2026, 2, 1)))
    with pytest.raises(StateConflict) as err:
        contract.sign(party, by="second", at=at(date(2026, 2, 3)))
    assert err.value.code == "contract.already_signed"
    assert contract.signature(party).by == "first"


def test_signing_an_active_contract_again_is_a_conflict():
    contract = make_contract()
    with pytest.raises(StateConflict):
        contract.sign(Party.COMPANY, by="x", at=at(date(2026, 4, 1)))


def test_terminate_with_effective_date_inside_the_term():
    contract = make_contract()
    contract.terminate(TerminationReason.MOVE_OUT, effective_on=date(2027, 5, 31), at=at(date(2027, 6, 1)))
    assert contract.state is ContractState.TERMINATED
    assert contract.covered_until == date(2027, 5, 31)
    [event] = contract.events
    assert event.type == "contracts.contract.terminated"
    assert event.data["reason"] == "move_out"
    assert event.data["effective_on"] == "2027-05-31"


@pytest.mark.parametrize("effective", [date(2031, 3, 1), date(2026, 2, 28)])
def test_terminate_outside_the_term_is_rejected(effective):
    contract = make_contract()
    with pytest.raises(RuleViolation) as err:
        contract.terminate(TerminationReason.NOTICE, effective_on=effective, at=at(date(2027, 1, 1)))
    assert err.value.field == "effective_on"
    assert contract.state is ContractState.ACTIVE


def test_terminate_on_the_last_day_of_the_term_is_allowed():
    contract = make_contract()
    contract.terminate(TerminationReason.EVICTION, effective_on=date(2031, 2, 28), at=at(date(2031, 2, 1)))
    assert contract.ended_on == date(2031, 2, 28)


def test_terminate_twice_and_other_without_note():
    contract = make_contract()
    with pytest.raises(RuleViolation) as err:
        contract.terminate(TerminationReason.OTHER, effective_on=date(2027, 1, 1), at=at(date(2027, 1, 1)))
    assert err.value.field == "note"
    contract.terminate(TerminationReason.OTHER, effective_on=date(2027, 1, 1), at=at(date(2027, 1, 1)), note="x")
    with pytest.raises(StateConflict):
        contract.terminate(TerminationReason.NOTICE, effective_on=date(2027, 2, 1), at=at(date(2027, 2, 1)))


def test_a_draft_can_be_terminated_when_the_lease_never_starts():
    contract = make_contract(active=False)
    contract.terminate(TerminationReason.OTHER, effective_on=date(2026, 3, 1), at=at(date(2026, 3, 1)), note="no move-in")
    assert contract.state is ContractState.TERMINATED
