"""The support plan: dense at the start, thinning out towards independence over five years.

Phases and cadence are configuration (config/support_plan.json). Each phase makes visits due at
`phase start + k × cadence` (computed from the phase start each time, so monthly visits do not
drift at month ends). A visit may be held any time from its due date until the next one is due
(its window); the scheduler places it inside that window.

Every visit has a stable key (`<phase>-<k>`), so the rolling-horizon job can run again and again
and only book what is not booked yet.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from .errors import ConfigError
from .model import Role


@dataclass(frozen=True)
class Cadence:
    weeks: int = 0
    months: int = 0

    def __post_init__(self) -> None:
        if (self.weeks > 0) == (self.months > 0) or self.weeks < 0 or self.months < 0:
            raise ConfigError("a cadence is a positive number of either weeks or months")

    def step(self, k: int) -> relativedelta:
        return relativedelta(weeks=self.weeks * k, months=self.months * k)


@dataclass(frozen=True)
class Phase:
    name: str
    from_month: int
    to_month: int
    cadence: Cadence
    kind: str = "home_visit"
    role: Role = Role.SOCIAL_WORKER
    duration_minutes: int = 60


@dataclass(frozen=True)
class DueVisit:
    key: str
    phase: str
    kind: str
    role: Role
    due: date
    window_end: date  # exclusive: the day the next visit becomes due (or the phase ends)
    duration_minutes: int


@dataclass(frozen=True)
class SupportPlan:
    phases: tuple[Phase, ...]

    def __post_init__(self) -> None:
        if not self.phases:
            raise ConfigError("a support plan needs at least one phase")
        names = [p.name for p in self.phases]
        if len(set(names)) != len(names):
            raise ConfigError("phase names must be unique (they are part of each visit's key)")
        expected = 0
        for phase in self.phases:
            if phase.from_month != expected:
                raise ConfigError(f"phase {phase.name!r} must start at month {expected} (no gaps)")
            if phase.to_month <= phase.from_month:
                raise ConfigError(f"phase {phase.name!r} must end after it starts")
            if phase.duration_minutes <= 0:
                raise ConfigError(f"phase {phase.name!r} needs a positive duration")
            expected = phase.to_month

    @property
    def months(self) -> int:
        return self.phases[-1].to_month

    @classmethod
    def from_config(cls, cfg: Mapping) -> SupportPlan:
        try:
            phases = tuple(
                Phase(
                    name=str(p["name"]),
                    from_month=int(p["from_month"]),
                    to_month=int(p["to_month"]),
                    cadence=Cadence(**{k: int(v) for k, v in p["every"].items()}),
                    kind=str(p.get("kind", "home_visit")),
                    role=Role(p.get("role", Role.SOCIAL_WORKER.value)),
                    duration_minutes=int(p.get("duration_minutes", 60)),
                )
                for p in cfg["phases"]
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"invalid support plan: {exc}") from exc
        return cls(phases=phases)

    def phase_on(self, support_start: date, day: date) -> Phase | None:
        for phase in self.phases:
            if support_start + relativedelta(months=phase.from_month) <= day < support_start + relativedelta(
                months=phase.to_month
            ):
                return phase
        return None

    def due_visits(self, support_start: date, horizon_start: date, horizon_end: date) -> list[DueVisit]:
        """Visits whose window still reaches into [horizon_start, horizon_end) and that are due
        before horizon_end — i.e. everything that can and should be booked now."""
        visits: list[DueVisit] = []
        for phase in self.phases:
            begin = support_start + relativedelta(months=phase.from_month)
            end = support_start + relativedelta(months=phase.to_month)
            if begin >= horizon_end or end <= horizon_start:
                continue
            k = 0
            while True:
                due = begin + phase.cadence.step(k)
                if due >= end or due >= horizon_end:
                    break
                window_end = min(begin + phase.cadence.step(k + 1), end)
                if window_end > horizon_start:
                    visits.append(
                        DueVisit(
                            key=f"{phase.name}-{k}",
                            phase=phase.name,
                            kind=phase.kind,
                            role=phase.role,
                            due=due,
                            window_end=window_end,
                            duration_minutes=phase.duration_minutes,
                        )
                    )
                k += 1
        return visits


def horizon(today: date, weeks: int) -> tuple[date, date]:
    return today, today + timedelta(weeks=weeks)
