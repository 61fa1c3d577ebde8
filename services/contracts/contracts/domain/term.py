"""The guarantee term: `term_years` (program.json) from lease start, both ends inclusive.

A term in years that starts at the beginning of a day ends with the day *before* the
anniversary (BGB §187(2), §188(2)): a lease starting 1 March 2026 is guaranteed up to and
including 28 February 2031.

Leases starting on 29 February: the anniversary in a common year does not exist. BGB §188(3)
ends such a period on the last day of February, which is the same as taking 1 March as the
anniversary: a lease starting 29 Feb 2028 is guaranteed up to and including 28 Feb 2033.
(`dateutil.relativedelta` would clip the anniversary to 28 Feb and so end the term a day early,
which is why the anniversary is computed here explicitly.)
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

def anniversary(start: date, years: int) -> date:
    """The date `years` after `start`; 29 Feb maps to 1 Mar in a common year."""
    if years < 0:
        raise ValueError("years must be >= 0")
    target = start.year + years
    if start.month == 2 and start.day == 29 and not calendar.isleap(target):
        return date(target, 3, 1)
    return start.replace(year=target)


@dataclass(frozen=True)
class Term:
    start: date
    end: date  # inclusive: the last day covered

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("term end before term start")

    @classmethod
    def from_lease_start(cls, lease_start: date, years: int) -> Term:
        if years < 1:
            raise ValueError("a term lasts at least one year")
        return cls(lease_start, anniversary(lease_start, years) - timedelta(days=1))

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def days_left(self, today: date) -> int:
        """Days after `today` up to and including the last day (0 on the last day, < 0 after)."""
        return (self.end - today).days

    def ended_by(self, end: date) -> Term:
        """The same term cut short at `end` (early termination)."""
        if not self.contains(end):
            raise ValueError("termination date outside the term")
        return Term(self.start, end)
