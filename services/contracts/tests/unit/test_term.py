from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.domain import Term, anniversary


@pytest.mark.parametrize(
    ("lease_start", "term_end"),
    [
        (date(2026, 3, 1), date(2031, 2, 28)),
        (date(2026, 1, 1), date(2030, 12, 31)),
        (date(2026, 7, 15), date(2031, 7, 14)),
        # leap-day start: the anniversary in a common year is 1 March, so the term ends 28 Feb
        (date(2028, 2, 29), date(2033, 2, 28)),
        (date(2028, 2, 28), date(2033, 2, 27)),
        (date(2028, 3, 1), date(2033, 2, 28)),
        # the term may end on a leap day
        (date(2027, 3, 1), date(2032, 2, 29)),
    ],
)
def test_term_ends_the_day_before_the_fifth_anniversary(lease_start, term_end):
    term = Term.from_lease_start(lease_start, 5)
    assert term.start == lease_start
    assert term.end == term_end


def test_leap_day_start_after_twenty_years_lands_on_a_leap_day_again():
    assert anniversary(date(2028, 2, 29), 4) == date(2032, 2, 29)
    assert Term.from_lease_start(date(2028, 2, 29), 4).end == date(2032, 2, 28)


def test_last_day_is_inside_and_the_day_after_is_not():
    term = Term.from_lease_start(date(2026, 3, 1), 5)
    assert term.contains(date(2031, 2, 28))
    assert not term.contains(date(2031, 3, 1))
    assert not term.contains(date(2026, 2, 28))
    assert term.days_left(date(2031, 2, 28)) == 0
    assert term.days_left(date(2031, 3, 1)) == -1


def test_term_cut_short_only_inside_the_term():
    term = Term.from_lease_start(date(2026, 3, 1), 5)
    assert term.ended_by(date(2027, 6, 30)).end == date(2027, 6, 30)
    with pytest.raises(ValueError):
        term.ended_by(date(2031, 3, 1))


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2200, 12, 31)), st.integers(1, 30))
def test_a_term_of_n_years_lasts_365_or_366_days_per_year(start, years):
    term = Term.from_lease_start(start, years)
    length = (term.end - start).days + 1
    assert 365 * years <= length <= 366 * years
    # the next term would begin on the anniversary, which has the start's day unless it is 29 Feb
    following = term.end + timedelta(days=1)
    if (start.month, start.day) != (2, 29):
        assert (following.month, following.day) == (start.month, start.day)
    else:
        assert (following.month, following.day) in {(2, 29), (3, 1)}
