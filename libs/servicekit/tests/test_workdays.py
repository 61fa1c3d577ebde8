"""Working days in Baden-Württemberg."""

from datetime import date

from hypothesis import given, strategies as st

from servicekit.workdays import add_working_days, is_working_day, next_working_day, working_days_between


def test_bw_holidays_are_not_working_days():
    assert not is_working_day(date(2026, 1, 6))  # Epiphany (BW, not Berlin)
    assert not is_working_day(date(2026, 6, 4))  # Corpus Christi
    assert not is_working_day(date(2026, 11, 1))  # All Saints (a Sunday anyway)
    assert is_working_day(date(2026, 11, 25))


def test_adding_working_days_skips_weekends_and_easter():
    assert add_working_days(date(2026, 11, 27), 1) == date(2026, 11, 30)  # Friday → Monday
    assert add_working_days(date(2026, 4, 2), 1) == date(2026, 4, 7)  # Maundy Thursday → after Easter Monday
    assert add_working_days(date(2026, 12, 23), 2) == date(2026, 12, 28)
    assert next_working_day(date(2026, 12, 25)) == date(2026, 12, 28)


@given(st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31)), st.integers(0, 40))
def test_add_and_count_agree(start, n):
    end = add_working_days(start, n)
    assert working_days_between(start, end) == n
    assert n == 0 or is_working_day(end)
