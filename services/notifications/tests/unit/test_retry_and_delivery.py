from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, strategies as st

from notifications.config import delivery
from notifications.domain.catalogue import Channel
from notifications.domain.delivery import (
    AttemptOutcome,
    DeliveryState,
    DeliveryStatus,
    FinalDelivery,
    after_attempt,
    failure_event_data,
    http_outcome,
    publishes_failure,
    smtp_outcome,
)
from notifications.domain.retry import RetryPolicy

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)
POLICY = RetryPolicy(
    initial=timedelta(seconds=60), factor=2, max_delay=timedelta(minutes=10), max_attempts=6
)


def test_delays_double_until_the_cap():
    delays = [POLICY.delay_after(n).total_seconds() for n in range(1, 7)]
    assert delays == [60, 120, 240, 480, 600, 600]


def test_no_next_attempt_once_the_attempts_are_used_up():
    assert POLICY.next_attempt_at(5, T0) == T0 + timedelta(seconds=600)
    assert POLICY.next_attempt_at(6, T0) is None


def test_a_naive_clock_is_refused():
    with pytest.raises(ValueError):
        POLICY.next_attempt_at(1, datetime(2026, 3, 2, 8, 0))


policies = st.builds(
    RetryPolicy,
    initial=st.integers(1, 600).map(lambda s: timedelta(seconds=s)),
    factor=st.floats(1, 10),
    max_delay=st.integers(600, 86400).map(lambda s: timedelta(seconds=s)),
    max_attempts=st.integers(1, 100),
    jitter=st.floats(0, 0.99),
)


@given(policies, st.integers(1, 500), st.floats(0, 1, exclude_max=True))
def test_delays_never_exceed_the_cap_nor_shrink_below_the_jitter_floor(policy, n, r):
    plain = RetryPolicy(policy.initial, policy.factor, policy.max_delay, policy.max_attempts)
    delay = policy.delay_after(n, rnd=lambda: r)
    assert delay <= policy.max_delay
    assert delay >= plain.delay_after(n) * (1 - policy.jitter) - timedelta(microseconds=1)
    assert plain.delay_after(n) <= plain.delay_after(n + 1)


@given(policies)
def test_a_delivery_that_always_fails_ends_failed_after_exactly_max_attempts(policy):
    state, now, attempts = DeliveryState(), T0, 0
    while state.status is DeliveryStatus.PENDING:
        state = after_attempt(state, AttemptOutcome.transient("smtp 451"), now, policy, lambda: 0.5)
        attempts += 1
        if state.next_attempt_at:
            assert state.next_attempt_at > now
            now = state.next_attempt_at
    assert state.status is DeliveryStatus.FAILED
    assert attempts == state.attempts == policy.max_attempts
    assert state.last_error == "smtp 451"


def test_configured_schedules_load_and_keep_trying_for_hours():
    email = RetryPolicy.from_mapping(delivery()["email"])
    webhook = RetryPolicy.from_mapping(delivery()["webhook"])
    assert email.total_span() > timedelta(hours=24)
    assert webhook.total_span() > timedelta(hours=12)


def test_success_after_failures_is_delivered_and_not_due_any_more():
    state = after_attempt(DeliveryState(), AttemptOutcome.transient("connection refused"), T0, POLICY)
    assert state.status is DeliveryStatus.PENDING
    assert not state.is_due(T0 + timedelta(seconds=59))
    assert state.is_due(T0 + timedelta(seconds=60))
    later = T0 + timedelta(seconds=60)
    state = after_attempt(state, AttemptOutcome.success(), later, POLICY)
    assert (state.status, state.attempts, state.delivered_at) == (DeliveryStatus.DELIVERED, 2, later)
    assert not state.is_due(later + timedelta(days=1))
    with pytest.raises(FinalDelivery):
        after_attempt(state, AttemptOutcome.success(), later, POLICY)


def test_a_permanent_refusal_fails_at_once():
    state = after_attempt(DeliveryState(), smtp_outcome(550), T0, POLICY)
    assert (state.status, state.attempts, state.last_error) == (DeliveryStatus.FAILED, 1, "smtp 550")


@pytest.mark.parametrize(
    "code, ok, permanent",
    [(250, True, False), (421, False, False), (451, False, False), (550, False, True), (None, False, False)],
)
def test_smtp_replies(code, ok, permanent):
    outcome = smtp_outcome(code, "connection refused")
    assert (outcome.ok, outcome.permanent) == (ok, permanent)


@pytest.mark.parametrize(
    "status, ok, permanent",
    [(200, True, False), (204, True, False), (401, False, False), (410, False, True),
     (500, False, False), (503, False, False), (None, False, False)],
)
def test_webhook_answers(status, ok, permanent):
    outcome = http_outcome(status, "timeout")
    assert (outcome.ok, outcome.permanent) == (ok, permanent)


def test_a_failed_failure_notice_is_not_announced_again():
    assert publishes_failure("contracts.claim.paid")
    assert not publishes_failure("notifications.delivery.failed")


def test_failure_event_names_the_recipient_by_reference_not_address():
    data = failure_event_data("n-1", "company:abc", Channel.EMAIL, "smtp 550")
    assert data == {"notification_id": "n-1", "recipient": "company:abc", "channel": "email", "reason": "smtp 550"}


@pytest.mark.parametrize(
    "outcome, unreachable",
    [
        (smtp_outcome(None, "connection refused"), True),
        (AttemptOutcome.transient("timeout"), True),
        (AttemptOutcome.transient("smtp auth failed 535"), True),
        (smtp_outcome(421), True),
        (smtp_outcome(451), False),  # greylisting one recipient says nothing about the others
        (smtp_outcome(550), False),
        (http_outcome(503), False),
        (http_outcome(None, "connection refused"), True),
        (AttemptOutcome.success(), False),
    ],
)
def test_which_failures_hold_back_the_other_messages(outcome, unreachable):
    from notifications.domain.delivery import destination_unreachable

    assert destination_unreachable(outcome) is unreachable


# --- the delivery aggregate ---------------------------------------------------------------------


def _delivery(event_type="contracts.claim.paid", **state):
    from notifications.domain.delivery import Delivery

    return Delivery("n-1", "company:abc", Channel.EMAIL, event_type, DeliveryState(**state))


def test_a_delivery_that_fails_for_good_records_its_failure_event():
    from servicekit.domain import DomainEvent

    delivery = _delivery()
    delivery.attempted(AttemptOutcome.transient("timeout"), T0, POLICY)
    assert delivery.events == []
    delivery.attempted(smtp_outcome(550), T0, POLICY)
    assert delivery.events == [DomainEvent("notifications.delivery.failed",
                                           failure_event_data("n-1", "company:abc", Channel.EMAIL, "smtp 550"))]


def test_a_failed_failure_notice_records_no_event():
    delivery = _delivery("notifications.delivery.failed")
    delivery.attempted(smtp_outcome(550), T0, POLICY)
    assert delivery.state.status is DeliveryStatus.FAILED and delivery.events == []


def test_only_a_failed_delivery_with_its_contents_is_redelivered():
    from servicekit.errors import StateConflict

    for status in (DeliveryStatus.PENDING, DeliveryStatus.DELIVERED, DeliveryStatus.CANCELLED):
        with pytest.raises(StateConflict, match="Only failed notifications"):
            _delivery(status=status).redeliver(T0)
    erased = _delivery(status=DeliveryStatus.FAILED, attempts=14, last_error="smtp 550")
    erased.erased = True
    with pytest.raises(StateConflict, match="erased"):
        erased.redeliver(T0)
    failed = _delivery(status=DeliveryStatus.FAILED, attempts=14, last_error="smtp 550")
    assert failed.redeliver(T0) == DeliveryState(DeliveryStatus.PENDING, 0, T0)
