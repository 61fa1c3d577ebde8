from datetime import timedelta

import pytest

from support.domain.errors import ConfigError
from support.domain.model import Interval
from support.domain.office_hours import OfficeHours

from .helpers import OFFICE, berlin, d, utc


def test_spring_forward_weekend_shifts_utc_opening_by_an_hour():
    # last Sunday of March 2026 is the 29th: Friday before is CET (+1), Monday after is CEST (+2)
    assert OFFICE.intervals_on(d(2026, 3, 27))[0].start == utc(2026, 3, 27, 7)
    assert OFFICE.intervals_on(d(2026, 3, 30))[0].start == utc(2026, 3, 30, 6)


def test_fall_back_weekend_shifts_utc_opening_back():
    # last Sunday of October 2026 is the 25th
    assert OFFICE.intervals_on(d(2026, 10, 23))[0].start == utc(2026, 10, 23, 6)
    assert OFFICE.intervals_on(d(2026, 10, 26))[0].start == utc(2026, 10, 26, 7)


def test_slots_stay_on_the_grid_and_inside_blocks():
    slots = list(OFFICE.slots_on(d(2026, 3, 27), timedelta(minutes=60)))  # Friday 08-13
    assert slots[0].start == berlin(2026, 3, 27, 8)
    assert slots[-1].end == berlin(2026, 3, 27, 13)
    assert len(slots) == 9


def test_contains_rejects_lunch_break_and_evening():
    assert OFFICE.contains(Interval(berlin(2026, 6, 1, 9), berlin(2026, 6, 1, 10)))
    assert not OFFICE.contains(Interval(berlin(2026, 6, 1, 11, 30), berlin(2026, 6, 1, 12, 30)))
    assert not OFFICE.contains(Interval(berlin(2026, 6, 1, 17), berlin(2026, 6, 1, 18)))
    assert not OFFICE.contains(Interval(berlin(2026, 6, 6, 9), berlin(2026, 6, 6, 10)))  # Saturday


def test_no_sunday_hours_means_no_slots():
    assert list(OFFICE.slots_on(d(2026, 3, 29), timedelta(minutes=30))) == []


@pytest.mark.parametrize(
    "hours",
    [
        {"mon": [["02:00", "04:00"]]},  # would hit the DST gap / fold
        {"mon": [["10:00", "09:00"]]},
        {"mon": [["08:00", "12:00"], ["11:00", "13:00"]]},
        {"monday": [["08:00", "12:00"]]},
        {"mon": [["8 Uhr", "12:00"]]},
    ],
)
def test_bad_office_hours_are_refused(hours):
    with pytest.raises(ConfigError):
        OfficeHours.from_config({"office_hours": hours})
