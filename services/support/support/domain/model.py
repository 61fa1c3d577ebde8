"""Value objects shared by the domain modules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import Enum

from servicekit.workdays import is_working_day


class Role(str, Enum):
    CONTACT_PERSON = "contact_person"
    SOCIAL_WORKER = "social_worker"


@dataclass(frozen=True)
class Absence:
    """Holiday, sick leave, training … `last_day` is inclusive, as people say it."""

    first_day: date
    last_day: date
    kind: str = "holiday"

    def __post_init__(self) -> None:
        if self.last_day < self.first_day:
            raise ValueError("absence ends before it starts")

    def overlaps(self, first: date, last: date) -> bool:
        return self.first_day <= last and first <= self.last_day


@dataclass(frozen=True)
class Caseworker:
    id: str
    roles: frozenset[Role]
    max_cases: int
    # minutes per week this person can spend in appointments (travel and paperwork are outside)
    weekly_minutes: int
    working_weekdays: frozenset[int] = frozenset(range(5))
    districts: frozenset[str] = frozenset()
    absences: tuple[Absence, ...] = ()
    active: bool = True

    def has_role(self, role: Role) -> bool:
        return role in self.roles

    def is_absent_between(self, first: date, last: date) -> bool:
        return any(a.overlaps(first, last) for a in self.absences)

    def is_absent_on(self, day: date) -> bool:
        return self.is_absent_between(day, day)

    def works_on(self, day: date) -> bool:
        """A public working day in BW, one of this person's weekdays, and not absent."""
        return day.weekday() in self.working_weekdays and is_working_day(day) and not self.is_absent_on(day)


@dataclass(frozen=True, order=True)
class Interval:
    """Half-open [start, end) between two aware instants."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("interval bounds must be timezone-aware")
        if self.end <= self.start:
            raise ValueError("interval must end after it starts")

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    def overlaps(self, other: Interval) -> bool:
        return self.start < other.end and other.start < self.end

    def contains(self, other: Interval) -> bool:
        return self.start <= other.start and other.end <= self.end

