"""Response deadline of a proposal, in Baden-Württemberg working days."""

from __future__ import annotations

from datetime import date, datetime

from servicekit.workdays import BERLIN, add_working_days


def respond_by(created_at: datetime, working_days: int) -> date:
    """The last day to answer: `working_days` working days after the day (in Berlin) it was made."""
    if created_at.tzinfo is None:
        raise ValueError("created_at must be timezone-aware")
    return add_working_days(created_at.astimezone(BERLIN).date(), working_days)


def is_overdue(respond_by_day: date, now: datetime) -> bool:
    """Overdue once the deadline day is over in Stuttgart; an answer on the day itself still counts."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(BERLIN).date() > respond_by_day
