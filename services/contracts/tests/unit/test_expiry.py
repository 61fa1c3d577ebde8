from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.domain import ContractState, Expire, SendNotice, TerminationReason, due_action
from contracts.domain.expiry import apply
from contracts_unit_helpers import at, make_contract

THRESHOLDS = (90, 30)
START = date(2026, 3, 1)  # term ends 2031-02-28


def run_job(contract, today):
    """One run of the end-of-term job: act on what is due, as the worker does."""
    action = due_action(contract, today, THRESHOLDS)
    if action is not None:
        apply(contract, action, today=today, at=at(today), thresholds=THRESHOLDS)
    return action


def test_notices_at_90_and_30_days_then_expiry_the_day_after_the_last_day():
    contract = make_contract(START)
    end = contract.term.end
    assert due_action(contract, end - timedelta(days=91), THRESHOLDS) is None
    assert run_job(contract, end - timedelta(days=90)) == SendNotice(90)
    assert contract.events[-1].data["days_left"] == 90
    assert run_job(contract, end - timedelta(days=89)) is None  # once only
    assert run_job(contract, end - timedelta(days=31)) is None
    assert run_job(contract, end - timedelta(days=30)) == SendNotice(30)
    assert run_job(contract, end) is None  # the last day is still covered
    assert contract.state is ContractState.ACTIVE
    assert run_job(contract, end + timedelta(days=1)) == Expire()
    assert contract.state is ContractState.EXPIRED
    assert contract.events[-1].type == "contracts.contract.expired"
    assert run_job(contract, end + timedelta(days=2)) is None
    assert [e.type for e in contract.events] == [
        "contracts.contract.expiring", "contracts.contract.expiring", "contracts.contract.expired"
    ]


def test_a_late_job_sends_only_the_nearest_notice():
    contract = make_contract(START)
    assert run_job(contract, contract.term.end - timedelta(days=20)) == SendNotice(30)
    assert contract.notices_sent == {90, 30}
    assert run_job(contract, contract.term.end - timedelta(days=19)) is None


def test_a_job_down_past_the_end_expires_without_notices():
    contract = make_contract(START)
    assert run_job(contract, contract.term.end + timedelta(days=5)) == Expire()
    assert [e.type for e in contract.events] == ["contracts.contract.expired"]


def test_drafts_and_terminated_contracts_get_nothing():
    draft = make_contract(START, active=False)
    assert due_action(draft, draft.term.end + timedelta(days=1), THRESHOLDS) is None
    ended = make_contract(START)
    ended.terminate(TerminationReason.MOVE_OUT, effective_on=date(2030, 12, 31), at=at(date(2030, 12, 1)))
    assert due_action(ended, ended.term.end - timedelta(days=30), THRESHOLDS) is None


def test_leap_day_lease_expires_on_first_of_march():
    contract = make_contract(date(2028, 2, 29))
    assert run_job(contract, date(2033, 2, 28)) == SendNotice(30)
    assert run_job(contract, date(2033, 3, 1)) == Expire()
    assert contract.ended_on == date(2033, 2, 28)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(1, 60), min_size=1, max_size=60), st.integers(0, 200))
def test_any_job_schedule_sends_each_notice_at_most_once_and_never_early(gaps, offset):
    """Whenever the job happens to run, notices come at most once, never before their day, and
    the contract ends expired once the job runs after the term."""
    contract = make_contract(START)
    today = contract.term.end - timedelta(days=offset + 100)
    for gap in gaps:
        today += timedelta(days=gap)
        run_job(contract, today)
    run_job(contract, contract.term.end + timedelta(days=1) if today <= contract.term.end else today)
    notices = [e.data["days_left"] for e in contract.events if e.type == "contracts.contract.expiring"]
    assert len(notices) <= len(THRESHOLDS)
    assert notices == sorted(notices, reverse=True)
    assert all(0 <= d <= 90 for d in notices)
    assert len({min(t for t in THRESHOLDS if d <= t) for d in notices}) == len(notices)
    assert contract.state is ContractState.EXPIRED
