"""An injectable clock: jobs and rules ask it for 'now' so tests can travel in time."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """Wall-clock time, shifted by `WOHNENPLUS_CLOCK_OFFSET_DAYS` for demos and end-to-end runs."""

    def __init__(self, offset: timedelta | None = None) -> None:
        if offset is None:
            offset = timedelta(days=float(os.environ.get("WOHNENPLUS_CLOCK_OFFSET_DAYS", "0")))
        self.offset = offset

    def now(self) -> datetime:
        return datetime.now(timezone.utc) + self.offset


class FrozenClock:
    """A clock that stands still until moved: `clock.advance(days=90)`."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")
        self._now = at

    def now(self) -> datetime:
        return self._now

    def advance(self, **delta: float) -> datetime:
        self._now += timedelta(**delta)
        return self._now

    def set(self, at: datetime) -> None:
        self._now = at

