"""State rules of appointments and support cases, as pure functions.

The service layer holds the rows; these functions say whether an action is allowed and what the
new state is, so the rules live in one place and are tested without a database.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum

from .errors import InvalidTransition

OUTCOME_MAX_CHARS = 500


class AppointmentState(str, Enum):
    SCHEDULED = "scheduled"
    COMPLETED = "completed"
    MISSED = "missed"
    CANCELLED = "cancelled"


class AppointmentAction(str, Enum):
    RESCHEDULE = "reschedule"
    CANCEL = "cancel"
    COMPLETE = "complete"
    MISS = "miss"


_RESULT = {
    AppointmentAction.RESCHEDULE: AppointmentState.SCHEDULED,
    AppointmentAction.CANCEL: AppointmentState.CANCELLED,
    AppointmentAction.COMPLETE: AppointmentState.COMPLETED,
    AppointmentAction.MISS: AppointmentState.MISSED,
}


def appointment_transition(
    state: AppointmentState, action: AppointmentAction, starts_at: datetime, now: datetime, text: str | None = None
) -> AppointmentState:
    """Only scheduled appointments change. Completing or marking missed needs the appointment to
    have started; cancelling needs a reason; completing needs a short outcome."""
    if state is not AppointmentState.SCHEDULED:
        raise InvalidTransition("appointment.not_scheduled", f"a {state.value} appointment cannot be changed ({action.value})")
    if action in (AppointmentAction.COMPLETE, AppointmentAction.MISS) and starts_at > now:
        raise InvalidTransition("appointment.not_started",
                                "an appointment can only be completed or marked missed once it has started")
    if action in (AppointmentAction.RESCHEDULE, AppointmentAction.CANCEL) and starts_at <= now:
        raise InvalidTransition("appointment.started", "an appointment that has started can no longer be moved or cancelled")
    if action in (AppointmentAction.CANCEL, AppointmentAction.COMPLETE):
        if not text or not text.strip():
            raise InvalidTransition("appointment.text_required", "a reason (cancel) or a short outcome (complete) is required")
        if len(text) > OUTCOME_MAX_CHARS:
            raise InvalidTransition("appointment.text_too_long", f"keep it short: at most {OUTCOME_MAX_CHARS} characters")
    return _RESULT[action]


class CaseState(str, Enum):
    OPEN = "open"
    CLOSED = "closed"


class CloseOutcome(str, Enum):
    LIVING_INDEPENDENTLY = "living_independently"
    CONTINUED_SUPPORT_ELSEWHERE = "continued_support_elsewhere"
    MOVED_OUT = "moved_out"
    TENANCY_TERMINATED = "tenancy_terminated"
    SUPPORT_TERM_ENDED = "support_term_ended"  # contract expired, no outcome recorded by staff
    OTHER = "other"
    # the household's data was erased (Art. 17 request) while the case was open; set only by the
    # erasure itself, never chosen by staff, so the statistics can tell it apart from real outcomes
    ERASED = "erased"


# what staff may choose or record by hand
CHOSEN_OUTCOMES = [o.value for o in CloseOutcome if o is not CloseOutcome.ERASED]


def close_case(state: CaseState, outcome: CloseOutcome, reason: str | None = None) -> CaseState:
    if state is CaseState.CLOSED:
        raise InvalidTransition("case.closed", "the case is already closed")
    if outcome in (CloseOutcome.TENANCY_TERMINATED, CloseOutcome.OTHER) and not (reason and reason.strip()):
        raise InvalidTransition("case.reason_required", f"outcome {outcome.value} needs a reason")
    return CaseState.CLOSED


def check_open(state: CaseState, detail: str = "The case is closed.") -> None:
    """Work on a case (booking, moving appointments, recording an outcome) needs it open."""
    if state is CaseState.CLOSED:
        raise InvalidTransition("case.closed", detail)


def record_outcome(state: CaseState, outcome: CloseOutcome) -> CloseOutcome:
    """The outcome staff expect; the case closes with it when the guarantee term expires."""
    check_open(state)
    if outcome is CloseOutcome.ERASED:
        raise InvalidTransition("case.outcome_not_chosen", "outcome erased is set by an erasure only")
    return outcome


def clear_risk(at_risk: bool) -> bool:
    """The crisis is over: the case is no longer at risk (it must have been)."""
    if not at_risk:
        raise InvalidTransition("case.not_at_risk", "The case is not at risk.")
    return False


def outcome_on_expiry(recorded: CloseOutcome | None) -> CloseOutcome:
    """When the guarantee term expires, the case closes with what staff recorded, if anything."""
    return recorded or CloseOutcome.SUPPORT_TERM_ENDED


def check_reassignment(state: CaseState, current_id: str, new_id: str, reason: str | None) -> None:
    """Reassigning is deliberate: an open case, a different person, and a stated reason."""
    if state is CaseState.CLOSED:
        raise InvalidTransition("case.closed", "a closed case cannot be reassigned")
    if new_id == current_id:
        raise InvalidTransition("case.same_person", "the case is already assigned to this person")
    if not reason or not reason.strip():
        raise InvalidTransition("case.reason_required", "a reassignment needs a reason")


def case_reference(year: int, token: str) -> str:
    """Case reference for staff and calendars, e.g. SUP-2026-3FA9C21B: no personal data in it, and
    random rather than counted so that no shared counter serialises case openings."""
    return f"SUP-{year}-{token.upper()}"
