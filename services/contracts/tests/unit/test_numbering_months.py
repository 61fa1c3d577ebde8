from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.domain import Month, MonthPeriod, format_contract_no, parse_contract_no


def test_contract_number_format():
    assert format_contract_no(2026, 42) == "GV-2026-00042"
    assert format_contract_no(2026, 99_999) == "GV-2026-99999"


@pytest.mark.parametrize(("year", "seq"), [(2026, 0), (2026, 100_000), (999, 1), (2026, -1)])
def test_contract_number_out_of_range(year, seq):
    with pytest.raises(ValueError):
        format_contract_no(year, seq)


@given(st.integers(1000, 9999), st.integers(1, 99_999))
def test_contract_number_round_trips_and_sorts_like_its_sequence(year, seq):
    text = format_contract_no(year, seq)
    assert parse_contract_no(text) == (year, seq)
    assert len(text) == len("GV-2026-00001")
    if seq < 99_999:
        assert text < format_contract_no(year, seq + 1)


@pytest.mark.parametrize("text", ["GV-2026-0042", "gv-2026-00042", "GV-2026-00000", "XX-2026-00001", ""])
def test_parse_rejects_non_numbers(text):
    with pytest.raises(ValueError):
        parse_contract_no(text)


def test_month_parse_and_bounds():
    assert Month.parse("2028-02").last_day == date(2028, 2, 29)
    assert Month.parse("2027-02").last_day == date(2027, 2, 28)
    for bad in ["2026-13", "2026-00", "2026-1", "26-01", "2026-01-01"]:
        with pytest.raises(ValueError):
            Month.parse(bad)


def test_period_overlap_and_length():
    jan_mar = MonthPeriod(Month(2026, 1), Month(2026, 3))
    assert jan_mar.months == 3
    assert jan_mar.overlaps(MonthPeriod(Month(2026, 3), Month(2026, 5)))
    assert not jan_mar.overlaps(MonthPeriod(Month(2026, 4), Month(2026, 5)))
    assert MonthPeriod(Month(2025, 12), Month(2026, 1)).months == 2
    with pytest.raises(ValueError):
        MonthPeriod(Month(2026, 3), Month(2026, 1))


months = st.builds(Month, st.integers(2000, 2100), st.integers(1, 12))


@given(months, months, months, months)
def test_overlap_is_symmetric_and_means_a_shared_month(a, b, c, d):
    p = MonthPeriod(min(a, b), max(a, b))
    q = MonthPeriod(min(c, d), max(c, d))
    shared = set(range(p.first.index, p.last.index + 1)) & set(range(q.first.index, q.last.index + 1))
    assert p.overlaps(q) == q.overlaps(p) == bool(shared)
