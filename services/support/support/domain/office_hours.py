"""Office hours in Europe/Berlin, turned into UTC intervals for a given calendar day.

Everything is computed on the local wall clock of the day in question and only then converted
to UTC, so the Monday after a daylight-saving change gets the right offset. Office hours are
required to lie between 03:00 and 24:00 local time: the DST gap (02:00–03:00 in March) and
fold (02:00–03:00 in October) can then never produce a non-existent or ambiguous slot.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from servicekit.clock import berlin_date
from servicekit.workdays import BERLIN

from .errors import ConfigError
from .model import Interval

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_EARLIEST = time(3, 0)


def _parse_time(text: str) -> time:
    try:
        return time.fromisoformat(text)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"not a time of day: {text!r}") from exc


@dataclass(frozen=True)
class OfficeHours:
    # weekday (0 = Monday) -> sorted, non-overlapping (open, close) blocks of local time
    blocks: Mapping[int, tuple[tuple[time, time], ...]]
    slot_minutes: int = 30

    def __post_init__(self) -> None:
        if self.slot_minutes <= 0 or 60 % self.slot_minutes and self.slot_minutes % 60:
            raise ConfigError("slot_minutes must divide an hour or be whole hours")
        for weekday, blocks in self.blocks.items():
            previous_close = None
            for opening, closing in blocks:
                if opening < _EARLIEST:
                    raise ConfigError("office hours must start at 03:00 or later (DST-safe)")
                if closing <= opening:
                    raise ConfigError(f"office hours on {WEEKDAYS[weekday]} close before they open")
                if previous_close is not None and opening < previous_close:
                    raise ConfigError(f"office hours on {WEEKDAYS[weekday]} overlap")
                previous_close = closing

    @classmethod
    def from_config(cls, cfg: Mapping) -> OfficeHours:
        raw = cfg.get("office_hours")
        if not isinstance(raw, Mapping) or not raw:
            raise ConfigError("office_hours must map weekday names to [open, close] blocks")
        blocks: dict[int, tuple[tuple[time, time], ...]] = {}
        for name, spans in raw.items():
            if name not in WEEKDAYS:
                raise ConfigError(f"unknown weekday {name!r}")
            blocks[WEEKDAYS.index(name)] = tuple(
                sorted((_parse_time(a), _parse_time(b)) for a, b in spans)
            )
        return cls(blocks=blocks, slot_minutes=int(cfg.get("slot_minutes", 30)))

    def intervals_on(self, day: date) -> list[Interval]:
        """The open blocks of `day` as UTC intervals (empty on a weekday without hours)."""
        return [
            Interval(_utc(day, opening), _utc(day, closing))
            for opening, closing in self.blocks.get(day.weekday(), ())
        ]

    def closing_on(self, day: date) -> datetime | None:
        spans = self.intervals_on(day)
        return spans[-1].end if spans else None

    def contains(self, interval: Interval) -> bool:
        """True when the interval lies inside a single block of its local day."""
        day = berlin_date(interval.start)
        return any(block.contains(interval) for block in self.intervals_on(day))

    def slots_on(self, day: date, duration: timedelta) -> Iterator[Interval]:
        """Candidate appointments on `day`, starting on the slot grid, earliest first."""
        step = timedelta(minutes=self.slot_minutes)
        for block in self.intervals_on(day):
            start = block.start
            while start + duration <= block.end:
                yield Interval(start, start + duration)
                start += step


def _utc(day: date, wall_clock: time) -> datetime:
    return datetime.combine(day, wall_clock, tzinfo=BERLIN).astimezone(timezone.utc)

