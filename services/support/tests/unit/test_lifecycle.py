from datetime import timedelta

import pytest

from support.domain.errors import InvalidTransition
from support.domain.lifecycle import (
    AppointmentAction as A,
    AppointmentState as S,
    CaseState,
    CloseOutcome,
    appointment_transition,
    case_reference,
    check_reassignment,
    close_case,
    outcome_on_expiry,
)

from .helpers import berlin

NOW = berlin(2026, 6, 15, 12)
FUTURE, PAST = NOW + timedelta(days=1), NOW - timedelta(hours=1)


@pytest.mark.parametrize(
    "action,starts,text,result",
    [
        (A.RESCHEDULE, FUTURE, None, S.SCHEDULED),
        (A.CANCEL, FUTURE, "Mieterin krank", S.CANCELLED),
        (A.COMPLETE, PAST, "Gespräch geführt", S.COMPLETED),
        (A.MISS, PAST, None, S.MISSED),
    ],
)
def test_allowed_transitions(action, starts, text, result):
    assert appointment_transition(S.SCHEDULED, action, starts, NOW, text) is result


@pytest.mark.parametrize(
    "state,action,starts,text",
    [
        (S.CANCELLED, A.COMPLETE, PAST, "x"),
        (S.COMPLETED, A.CANCEL, FUTURE, "x"),
        (S.MISSED, A.RESCHEDULE, FUTURE, None),
        (S.SCHEDULED, A.COMPLETE, FUTURE, "too early"),
        (S.SCHEDULED, A.MISS, FUTURE, None),
        (S.SCHEDULED, A.CANCEL, FUTURE, "   "),
        (S.SCHEDULED, A.CANCEL, PAST, "already started"),
        (S.SCHEDULED, A.COMPLETE, PAST, "x" * 501),
    ],
)
def test_refused_transitions(state, action, starts, text):
    with pytest.raises(InvalidTransition):
        appointment_transition(state, action, starts, NOW, text)


def test_case_close_rules():
    assert close_case(CaseState.OPEN, CloseOutcome.LIVING_INDEPENDENTLY) is CaseState.CLOSED
    with pytest.raises(InvalidTransition):
        close_case(CaseState.CLOSED, CloseOutcome.MOVED_OUT)
    with pytest.raises(InvalidTransition):
        close_case(CaseState.OPEN, CloseOutcome.TENANCY_TERMINATED, reason="")
    assert outcome_on_expiry(None) is CloseOutcome.SUPPORT_TERM_ENDED
    assert outcome_on_expiry(CloseOutcome.MOVED_OUT) is CloseOutcome.MOVED_OUT


def test_reassignment_is_deliberate():
    check_reassignment(CaseState.OPEN, "a", "b", "Elternzeit")
    for args in [(CaseState.CLOSED, "a", "b", "x"), (CaseState.OPEN, "a", "a", "x"), (CaseState.OPEN, "a", "b", " ")]:
        with pytest.raises(InvalidTransition):
            check_reassignment(*args)


def test_case_reference_carries_year_and_token_only():
    assert case_reference(2026, "3fa9c21b") == "SUP-2026-3FA9C21B"


def test_refusals_are_state_conflicts_with_stable_codes():
    from servicekit.errors import StateConflict

    from support.domain.lifecycle import check_open, clear_risk, record_outcome

    with pytest.raises(StateConflict) as closed:
        close_case(CaseState.CLOSED, CloseOutcome.MOVED_OUT)
    assert closed.value.code == "case.closed" and closed.value.status == 409
    with pytest.raises(InvalidTransition) as started:
        appointment_transition(S.SCHEDULED, A.CANCEL, PAST, NOW, "zu spät")
    assert started.value.code == "appointment.started"
    with pytest.raises(InvalidTransition) as not_open:
        check_open(CaseState.CLOSED)
    assert not_open.value.code == "case.closed"
    assert record_outcome(CaseState.OPEN, CloseOutcome.MOVED_OUT) is CloseOutcome.MOVED_OUT
    with pytest.raises(InvalidTransition):
        record_outcome(CaseState.CLOSED, CloseOutcome.MOVED_OUT)
    assert clear_risk(True) is False
    with pytest.raises(InvalidTransition) as not_at_risk:
        clear_risk(False)
    assert not_at_risk.value.code == "case.not_at_risk"
