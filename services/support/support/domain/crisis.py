"""Crisis response: an incident report or a rent-arrears claim gets a crisis appointment within
N working days (default 2, config/crisis.json).

The deadline is the close of office hours on the N-th working day after the day of the report
(Europe/Berlin; the day of the report itself never counts, weekends and BW holidays are skipped).
The appointment goes to the contact person; when they cannot be seen in time (absent, or no free
slot before the deadline) a substitute contact person takes it, chosen like a new assignment but
without the case-capacity limit, because the substitute does not take the case over.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from servicekit.clock import berlin_date
from servicekit.workdays import add_working_days, end_of_working_day

from .errors import ConfigError
from .model import Caseworker, Interval
from .office_hours import OfficeHours
from .scheduler import BusyCalendar, find_slot


@dataclass(frozen=True)
class CrisisPolicy:
    working_days: int = 2
    duration_minutes: int = 60
    notice_minutes: int = 60

    def __post_init__(self) -> None:
        if self.working_days < 1 or self.duration_minutes <= 0 or self.notice_minutes < 0:
            raise ConfigError("crisis policy needs working_days >= 1 and a positive duration")

    @classmethod
    def from_config(cls, cfg: Mapping) -> CrisisPolicy:
        return cls(
            working_days=int(cfg.get("working_days", 2)),
            duration_minutes=int(cfg.get("duration_minutes", 60)),
            notice_minutes=int(cfg.get("notice_minutes", 60)),
        )


def crisis_deadline(reported_at: datetime, policy: CrisisPolicy, office_hours: OfficeHours) -> datetime:
    day = add_working_days(berlin_date(reported_at), policy.working_days)
    return office_hours.closing_on(day) or end_of_working_day(day)


@dataclass(frozen=True)
class CrisisPlacement:
    caseworker_id: str
    slot: Interval
    substitute: bool


def place_crisis(
    contact_person: Caseworker,
    substitutes: list[Caseworker],
    busy_for: Callable[[str], BusyCalendar],
    reported_at: datetime,
    now: datetime,
    policy: CrisisPolicy,
    office_hours: OfficeHours,
) -> CrisisPlacement | None:
    """The earliest slot with the contact person before the deadline, else with the first
    substitute (in the given order) who has one; None when nobody can be seen in time.
    `busy_for(caseworker_id)` is asked only for the people actually tried."""
    deadline = crisis_deadline(reported_at, policy, office_hours)
    duration = timedelta(minutes=policy.duration_minutes)
    not_before = now + timedelta(minutes=policy.notice_minutes)
    last_day = berlin_date(deadline)
    for position, caseworker in enumerate([contact_person, *[s for s in substitutes if s.id != contact_person.id]]):
        slot = find_slot(
            caseworker,
            busy_for(caseworker.id),
            duration,
            berlin_date(now),
            last_day + timedelta(days=1),
            office_hours,
            not_before=not_before,
            deadline=deadline,
            strategy="earliest",
        )
        if slot is not None:
            return CrisisPlacement(caseworker.id, slot, substitute=position > 0)
    return None


class SlaState(str, Enum):
    PENDING = "pending"
    MET = "met"
    BREACHED = "breached"


def sla_state(deadline: datetime, held_or_booked_at: datetime | None, now: datetime) -> SlaState:
    """MET once an appointment starts by the deadline; BREACHED once the deadline has passed
    without one (or the only appointment is after it); PENDING before that."""
    if held_or_booked_at is not None and held_or_booked_at <= deadline:
        return SlaState.MET
    if now > deadline or held_or_booked_at is not None:
        return SlaState.BREACHED
    return SlaState.PENDING


class CrisisState(str, Enum):
    """A crisis deadline: pending until decided; closed with its case while still pending."""

    PENDING = "pending"
    MET = "met"
    BREACHED = "breached"
    CLOSED = "closed"


def decide(state: CrisisState, sla: SlaState) -> CrisisState:
    """Only a pending crisis is decided, and only once the SLA says met or breached."""
    if state is not CrisisState.PENDING:
        return state
    return CrisisState(sla.value)


def reopen(state: CrisisState) -> CrisisState:
    """Its appointment was cancelled, moved or replaced: a crisis that was met (or still pending)
    is pending again until the new appointment decides it; a breach or a closed crisis stays."""
    return CrisisState.PENDING if state in (CrisisState.PENDING, CrisisState.MET) else state


def close_with_case(state: CrisisState) -> CrisisState:
    """The case closed: what is still pending closes with it; decided crises keep their result."""
    return CrisisState.CLOSED if state is CrisisState.PENDING else state
