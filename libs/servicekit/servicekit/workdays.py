"""Working days in Baden-Württemberg: weekdays that are not public holidays.

Deadlines (proposal responses, crisis appointments) and appointment scheduling are counted in
these days; the holiday calendar comes from the `holidays` library (country DE, subdivision BW),
which includes Epiphany, Corpus Christi and All Saints' Day.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache

import holidays

from servicekit.clock import BERLIN  # noqa: F401 (re-exported: working days are Berlin days)


@lru_cache(maxsize=64)
def _holidays_for(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("DE", subdiv="BW", years=year)


def is_public_holiday(day: date) -> bool:
    return day in _holidays_for(day.year)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and not is_public_holiday(day)


def add_working_days(start: date, days: int) -> date:
    """The date `days` working days after `start` (start itself never counts)."""
    if days < 0:
        raise ValueError("days must be >= 0")
    current = start
    remaining = days
    while remaining:
        current += timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


def next_working_day(day: date) -> date:
    """`day` itself when it is a working day, else the first working day after it."""
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days in the half-open interval (start, end]."""
    if end <= start:
        return 0
    return sum(1 for n in range(1, (end - start).days + 1) if is_working_day(start + timedelta(days=n)))


def end_of_working_day(day: date, closing: time = time(18, 0)) -> datetime:
    """The aware UTC instant at which `day` closes in Europe/Berlin (DST handled by zoneinfo)."""
    return datetime.combine(day, closing, tzinfo=BERLIN).astimezone(timezone.utc)
