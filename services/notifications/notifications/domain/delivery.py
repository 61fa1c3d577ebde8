"""One delivery (a notification over one channel): its state after each attempt.

States: ``pending`` (waiting for its first or next attempt, ``next_attempt_at`` says when),
``delivered``, ``failed`` and ``cancelled`` (final; the contents were erased before delivery).
Every attempt's outcome is kept by the caller; this module decides what follows from it.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Callable

from servicekit.domain import DomainEvent
from servicekit.errors import StateConflict

from .catalogue import DELIVERY_FAILED, Channel
from .retry import RetryPolicy


class DeliveryStatus(str, enum.Enum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"
    CANCELLED = "cancelled"


class FinalDelivery(RuntimeError):
    """An attempt was recorded on a delivery that is already delivered or failed."""


_EMAIL = re.compile(r"[^\s<>()\[\],;:\"']+@[^\s<>()\[\],;:\"']+")
_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+", re.IGNORECASE)


def without_addresses(text: str) -> str:
    """A failure reason with any email address or URL masked."""
    return _URL.sub("[url]", _EMAIL.sub("[email]", text))


@dataclass(frozen=True)
class AttemptOutcome:
    ok: bool
    #: Short reason without personal data, e.g. "smtp 451" or "connection refused".
    error: str | None = None
    #: True when trying again cannot help (SMTP 5xx, HTTP 410).
    permanent: bool = False

    def __post_init__(self) -> None:
        # The reason goes into the attempt history, the failure event and the operators' inbox:
        # whatever an adapter puts in it, no address may reach them.
        if self.error:
            object.__setattr__(self, "error", without_addresses(self.error)[:200])

    @classmethod
    def success(cls) -> "AttemptOutcome":
        return cls(ok=True)

    @classmethod
    def transient(cls, error: str) -> "AttemptOutcome":
        return cls(ok=False, error=error)

    @classmethod
    def permanent_failure(cls, error: str) -> "AttemptOutcome":
        return cls(ok=False, error=error, permanent=True)


@dataclass(frozen=True)
class DeliveryState:
    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    delivered_at: datetime | None = None

    def is_due(self, now: datetime) -> bool:
        return self.status is DeliveryStatus.PENDING and (
            self.next_attempt_at is None or self.next_attempt_at <= now
        )


def after_attempt(
    state: DeliveryState,
    outcome: AttemptOutcome,
    at: datetime,
    policy: RetryPolicy,
    rnd: Callable[[], float] | None = None,
) -> DeliveryState:
    if state.status is not DeliveryStatus.PENDING:
        raise FinalDelivery(f"delivery already {state.status.value}")
    attempts = state.attempts + 1
    if outcome.ok:
        return replace(
            state,
            status=DeliveryStatus.DELIVERED,
            attempts=attempts,
            next_attempt_at=None,
            delivered_at=at,
        )
    retry_at = None if outcome.permanent else policy.next_attempt_at(attempts, at, rnd)
    return replace(
        state,
        status=DeliveryStatus.PENDING if retry_at else DeliveryStatus.FAILED,
        attempts=attempts,
        next_attempt_at=retry_at,
        last_error=outcome.error,
    )


@dataclass
class Delivery:
    """One notification on one channel, as delivery sees it: it takes each attempt's outcome,
    decides what follows and records `notifications.delivery.failed` when it fails for good."""

    id: str
    recipient: str
    channel: Channel
    event_type: str
    state: DeliveryState
    erased: bool = False
    events: list[DomainEvent] = field(default_factory=list)

    def attempted(self, outcome: AttemptOutcome, at: datetime, policy: RetryPolicy,
                  rnd: Callable[[], float] | None = None) -> DeliveryState:
        self.state = after_attempt(self.state, outcome, at, policy, rnd)
        if self.state.status is DeliveryStatus.FAILED and publishes_failure(self.event_type):
            self.events.append(DomainEvent(DELIVERY_FAILED, failure_event_data(
                self.id, self.recipient, self.channel, self.state.last_error)))
        return self.state

    def redeliver(self, at: datetime) -> DeliveryState:
        """An operator's fresh round of attempts, due at once: only for a failed delivery whose
        contents are still there (a delivered one went out, a pending one is still trying, an
        erased text is never sent)."""
        if self.state.status is not DeliveryStatus.FAILED:
            raise StateConflict("notification.not_failed",
                                f"Only failed notifications can be redelivered; this one is {self.state.status.value}.")
        if self.erased:
            raise StateConflict("notification.erased",
                                "This notification's contents were erased; it cannot be sent again.")
        self.state = DeliveryState(status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=at)
        return self.state


def publishes_failure(event_type: str) -> bool:
    """Whether a final failure is announced as ``notifications.delivery.failed``.

    Not for messages that are themselves about a failed delivery: operators' mail being down
    would otherwise produce a failure event, a message about it, its failure, and so on.
    """
    return event_type != DELIVERY_FAILED


def failure_event_data(
    notification_id: str, recipient: str, channel: Channel, reason: str | None
) -> dict[str, str]:
    return {
        "notification_id": notification_id,
        "recipient": recipient,
        "channel": channel.value,
        "reason": reason or "unknown",
    }


_UNREACHABLE = frozenset(
    {"connection refused", "timeout", "server disconnected", "tls error", "smtp unreachable",
     "webhook unreachable", "smtp 421"}
)


def destination_unreachable(outcome: AttemptOutcome) -> bool:
    """The failure is about the server, not this one message: the other messages due for it
    would fail the same way, so they wait for the next run instead of using up attempts."""
    if outcome.ok or outcome.permanent or not outcome.error:
        return False
    return outcome.error in _UNREACHABLE or outcome.error.startswith(("smtp auth", "smtp sender", "smtp starttls"))


# --- classifying what a channel answered ---------------------------------------------------


def smtp_outcome(code: int | None, error: str | None = None) -> AttemptOutcome:
    """SMTP reply code -> outcome. 5xx is a permanent refusal (RFC 5321 4.2.1); 4xx and no
    reply at all (connection refused, timeout) are worth retrying."""
    if code is None:
        return AttemptOutcome.transient(error or "smtp unreachable")
    if 200 <= code < 300:
        return AttemptOutcome.success()
    if 500 <= code < 600:
        return AttemptOutcome.permanent_failure(f"smtp {code}")
    return AttemptOutcome.transient(f"smtp {code}")


def http_outcome(status: int | None, error: str | None = None) -> AttemptOutcome:
    """Webhook answer -> outcome. Only 2xx counts as received. 410 Gone says the endpoint was
    removed on purpose; every other answer (a 401 while the company rolls a new secret, a 5xx,
    a timeout) is retried with back-off."""
    if status is None:
        return AttemptOutcome.transient(error or "webhook unreachable")
    if 200 <= status < 300:
        return AttemptOutcome.success()
    if status == 410:
        return AttemptOutcome.permanent_failure("http 410")
    return AttemptOutcome.transient(f"http {status}")
