"""An injectable clock: jobs and rules ask it for 'now' so tests can travel in time; and the one
place that says which Berlin day an instant falls on (people's days are Berlin days; the wire and
the database hold UTC)."""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta, timezone
from typing import Protocol
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")


def berlin_date(instant: datetime) -> date:
    """The calendar day in Stuttgart at this instant (an aware datetime)."""
    if instant.tzinfo is None:
        raise ValueError("berlin_date needs an aware datetime")
    return instant.astimezone(BERLIN).date()


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

