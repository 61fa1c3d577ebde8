"""Retry schedule: exponential back-off with a cap and a maximum number of attempts.

Pure: the caller passes the time of the failed attempt (from an injectable clock) and, if it
wants jitter, a random source. After ``max_attempts`` failures there is no next attempt: the
delivery has failed for good.
"""

from __future__ import annotations

import random as _random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Mapping

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class RetryPolicy:
    initial: timedelta = timedelta(seconds=60)
    factor: float = 2.0
    max_delay: timedelta = timedelta(hours=6)
    max_attempts: int = 14
    #: Fraction of each delay that may be taken off at random; spreads a backlog over time.
    jitter: float = 0.0

    def __post_init__(self) -> None:
        if self.initial <= timedelta(0) or self.max_delay < self.initial:
            raise ValueError("need 0 < initial <= max_delay")
        if self.factor < 1:
            raise ValueError("factor must be >= 1")
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be >= 1")
        if not 0 <= self.jitter < 1:
            raise ValueError("jitter must be in [0, 1)")

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> "RetryPolicy":
        return cls(
            initial=timedelta(seconds=float(raw["initial_seconds"])),
            factor=float(raw["factor"]),
            max_delay=timedelta(seconds=float(raw["max_delay_seconds"])),
            max_attempts=int(raw["max_attempts"]),
            jitter=float(raw.get("jitter", 0.0)),
        )

    def delay_after(self, failed_attempts: int, rnd: Callable[[], float] | None = None) -> timedelta:
        """Wait before the next attempt, after ``failed_attempts`` (>= 1) failures."""
        if failed_attempts < 1:
            raise ValueError("failed_attempts must be >= 1")
        # Cap the exponent first: factor ** 1000 would overflow a float.
        steps = min(failed_attempts - 1, 64)
        seconds = min(
            self.initial.total_seconds() * self.factor**steps, self.max_delay.total_seconds()
        )
        if self.jitter:
            seconds *= 1 - self.jitter * (rnd or _random.random)()
        return timedelta(seconds=seconds)

    def next_attempt_at(
        self, failed_attempts: int, failed_at: datetime, rnd: Callable[[], float] | None = None
    ) -> datetime | None:
        """When to try again, or None when the attempts are used up (permanent failure)."""
        if failed_at.tzinfo is None:
            raise ValueError("failed_at must be timezone-aware")
        if failed_attempts >= self.max_attempts:
            return None
        return failed_at + self.delay_after(failed_attempts, rnd)

    def total_span(self) -> timedelta:
        """Longest time from the first attempt to the last (without jitter)."""
        return sum(
            (RetryPolicy(self.initial, self.factor, self.max_delay, self.max_attempts)
             .delay_after(n) for n in range(1, self.max_attempts)),
            timedelta(0),
        )
