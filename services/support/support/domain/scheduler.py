"""Placing appointments: pure functions over one caseworker's busy intervals.

Rules every placed or hand-picked appointment obeys:
- on a Baden-Württemberg working day that is one of the caseworker's weekdays, not in an absence;
- inside one block of office hours on the Europe/Berlin wall clock (DST handled in OfficeHours);
- never overlapping another appointment of the same caseworker;
- within the caseworker's weekly appointment minutes;
- not in the past (the clock is passed in as `now`).

"Spread fairly over the week": the planner looks at the window one week at a time and, within the
first week that has room, takes the least loaded working day (ties: earliest), earliest free slot.
Crisis appointments use the "earliest" strategy instead.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import Enum

from servicekit.clock import berlin_date
from servicekit.workdays import is_working_day

from .errors import SlotRejected, SlotTaken
from .model import Caseworker, Interval
from .office_hours import OfficeHours


class ViolationCode(str, Enum):
    IN_PAST = "in_past"
    NOT_WORKING_DAY = "not_working_day"
    NOT_CASEWORKER_DAY = "not_caseworker_day"
    ABSENT = "caseworker_absent"
    OUTSIDE_OFFICE_HOURS = "outside_office_hours"
    OVERLAP = "overlap"
    WEEKLY_CAPACITY = "weekly_capacity"


@dataclass(frozen=True)
class Violation:
    code: ViolationCode
    message: str


def _days_touched(interval: Interval) -> list[date]:
    first, last = berlin_date(interval.start), berlin_date(interval.end - timedelta(microseconds=1))
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _week(day: date) -> tuple[int, int]:
    iso = day.isocalendar()
    return iso.year, iso.week


class BusyCalendar:
    """One caseworker's booked intervals, indexed by local day for fast checks."""

    def __init__(self, intervals: Iterable[Interval] = ()):
        self._by_day: dict[date, list[Interval]] = defaultdict(list)
        self._minutes_by_day: dict[date, int] = defaultdict(int)
        self._minutes_by_week: dict[tuple[int, int], int] = defaultdict(int)
        for interval in intervals:
            self.add(interval)

    def add(self, interval: Interval) -> None:
        # `_days_touched`, without converting the start twice (a calendar adds every booked interval)
        start_day = berlin_date(interval.start)
        last_day = berlin_date(interval.end - timedelta(microseconds=1))
        day = start_day
        while day <= last_day:
            bisect.insort(self._by_day[day], interval)
            day += timedelta(days=1)
        # minutes are attributed to the starting day: appointments never span midnight
        minutes = int(interval.duration.total_seconds() // 60)
        self._minutes_by_day[start_day] += minutes
        self._minutes_by_week[_week(start_day)] += minutes

    def overlaps(self, slot: Interval) -> bool:
        return any(other.overlaps(slot) for day in _days_touched(slot) for other in self._by_day.get(day, ()))

    def minutes_on(self, day: date) -> int:
        return self._minutes_by_day.get(day, 0)

    def minutes_in_week_of(self, day: date) -> int:
        return self._minutes_by_week.get(_week(day), 0)

    def intervals(self) -> list[Interval]:
        return sorted({i for day in self._by_day.values() for i in day})


def check_slot(
    caseworker: Caseworker,
    slot: Interval,
    busy: BusyCalendar,
    office_hours: OfficeHours,
    now: datetime,
) -> list[Violation]:
    """Every rule a hand-picked slot breaks (empty list: the slot is fine)."""
    violations: list[Violation] = []
    day = berlin_date(slot.start)
    if slot.start < now:
        violations.append(Violation(ViolationCode.IN_PAST, "the appointment would start in the past"))
    if not is_working_day(day):
        violations.append(Violation(ViolationCode.NOT_WORKING_DAY, f"{day.isoformat()} is not a working day in Baden-Württemberg"))
    elif day.weekday() not in caseworker.working_weekdays:
        violations.append(Violation(ViolationCode.NOT_CASEWORKER_DAY, "the caseworker does not work on this weekday"))
    if caseworker.is_absent_between(day, berlin_date(slot.end)):
        violations.append(Violation(ViolationCode.ABSENT, "the caseworker is absent on this day"))
    if not office_hours.contains(slot):
        violations.append(Violation(ViolationCode.OUTSIDE_OFFICE_HOURS, "the appointment is outside office hours (Europe/Berlin)"))
    if busy.overlaps(slot):
        violations.append(Violation(ViolationCode.OVERLAP, "the caseworker already has an appointment at this time"))
    minutes = int(slot.duration.total_seconds() // 60)
    if busy.minutes_in_week_of(day) + minutes > caseworker.weekly_minutes:
        violations.append(Violation(ViolationCode.WEEKLY_CAPACITY, "the caseworker's appointment hours for this week are used up"))
    return violations


def require_slot(
    caseworker: Caseworker,
    slot: Interval,
    busy: BusyCalendar,
    office_hours: OfficeHours,
    now: datetime,
) -> None:
    """A hand-picked slot must break no rule: only taken is a conflict (another time may be
    free), anything else the input's fault (`SlotRejected` names every rule it broke)."""
    violations = check_slot(caseworker, slot, busy, office_hours, now)
    if not violations:
        return
    if [v.code for v in violations] == [ViolationCode.OVERLAP]:
        raise SlotTaken(violations[0].message, violations=[ViolationCode.OVERLAP.value])
    raise SlotRejected(violations)


def _fits(caseworker, slot, busy, not_before, deadline) -> bool:
    if slot.start < not_before or (deadline is not None and slot.end > deadline):
        return False
    if busy.overlaps(slot):
        return False
    minutes = int(slot.duration.total_seconds() // 60)
    return busy.minutes_in_week_of(berlin_date(slot.start)) + minutes <= caseworker.weekly_minutes


def find_slot(
    caseworker: Caseworker,
    busy: BusyCalendar,
    duration: timedelta,
    first_day: date,
    end_day: date,
    office_hours: OfficeHours,
    *,
    not_before: datetime,
    deadline: datetime | None = None,
    strategy: str = "spread",
) -> Interval | None:
    """A free slot on a day in [first_day, end_day), or None when the window has no room.

    `not_before` is "now plus notice" from the injected clock; `deadline` caps the slot's end.
    """
    if strategy not in ("spread", "earliest"):
        raise ValueError(f"unknown strategy {strategy!r}")
    first_day = max(first_day, berlin_date(not_before))
    days = [first_day + timedelta(days=n) for n in range((end_day - first_day).days)]
    days = [d for d in days if caseworker.works_on(d)]
    if strategy == "earliest":
        chunks = [days]
    else:
        chunks_by_week: dict[int, list[date]] = defaultdict(list)
        for d in days:
            chunks_by_week[(d - first_day).days // 7].append(d)
        chunks = [sorted(chunk, key=lambda d: (busy.minutes_on(d), d)) for _, chunk in sorted(chunks_by_week.items())]
    for chunk in chunks:
        for day in chunk:
            for slot in office_hours.slots_on(day, duration):
                if _fits(caseworker, slot, busy, not_before, deadline):
                    return slot
    return None


@dataclass(frozen=True)
class Placement:
    key: str
    slot: Interval | None  # None: no room in the window (reported, never silently dropped)


def place_visits(
    caseworker: Caseworker,
    busy: BusyCalendar,
    visits,
    office_hours: OfficeHours,
    *,
    now: datetime,
    notice: timedelta = timedelta(0),
) -> list[Placement]:
    """Place due visits one after another; each placed visit is added to `busy` so that visits
    of this batch never collide either. Visits are taken in due order for determinism."""
    placements: list[Placement] = []
    for visit in sorted(visits, key=lambda v: (v.due, v.key)):
        slot = find_slot(
            caseworker,
            busy,
            timedelta(minutes=visit.duration_minutes),
            visit.due,
            visit.window_end,
            office_hours,
            not_before=now + notice,
        )
        if slot is not None:
            busy.add(slot)
        placements.append(Placement(visit.key, slot))
    return placements
