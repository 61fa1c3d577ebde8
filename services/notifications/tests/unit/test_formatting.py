from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from hypothesis import given, strategies as st

from notifications.domain.formatting import date_de, datetime_de, euro, number_de, time_de


@pytest.mark.parametrize(
    "cents, text",
    [
        (0, "0,00 €"),
        (5, "0,05 €"),
        (99, "0,99 €"),
        (123456, "1.234,56 €"),
        (61800, "618,00 €"),
        (100000000, "1.000.000,00 €"),
        (-150, "-1,50 €"),
    ],
)
def test_euro_formats_cents_the_german_way(cents, text):
    assert euro(cents) == text


@pytest.mark.parametrize("bad", [12.5, "100", None, True])
def test_euro_refuses_anything_but_integer_cents(bad):
    with pytest.raises(TypeError):
        euro(bad)


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_euro_text_reads_back_as_the_same_amount(cents):
    text = euro(cents)
    assert text.endswith(" €")
    number = text[:-2].replace(".", "").replace(",", ".")
    assert Decimal(number) * 100 == cents


def test_dates_print_day_month_year():
    assert date_de("2026-03-01") == "01.03.2026"
    assert date_de(date(2031, 2, 28)) == "28.02.2031"


def test_an_instant_late_in_the_utc_evening_is_the_next_day_in_berlin():
    assert date_de("2026-03-01T23:30:00Z") == "02.03.2026"


@pytest.mark.parametrize(
    "instant, berlin",
    [
        ("2026-03-02T09:00:00Z", "Montag, 02.03.2026, 10:00 Uhr"),  # CET, UTC+1
        ("2026-07-01T09:00:00Z", "Mittwoch, 01.07.2026, 11:00 Uhr"),  # CEST, UTC+2
        ("2026-03-29T01:30:00Z", "Sonntag, 29.03.2026, 03:30 Uhr"),  # just after the spring switch
        ("2026-10-25T00:30:00Z", "Sonntag, 25.10.2026, 02:30 Uhr"),  # the first 02:30 (CEST)
        ("2026-10-25T01:30:00Z", "Sonntag, 25.10.2026, 02:30 Uhr"),  # the second 02:30 (CET)
        ("2026-03-02T10:00:00+01:00", "Montag, 02.03.2026, 10:00 Uhr"),
    ],
)
def test_instants_print_in_berlin_time(instant, berlin):
    assert datetime_de(instant) == berlin


def test_time_is_berlin_wall_clock():
    assert time_de(datetime(2026, 7, 1, 6, 5, tzinfo=timezone.utc)) == "08:05"


def test_an_instant_without_zone_is_refused_rather_than_guessed():
    with pytest.raises(ValueError):
        datetime_de("2026-03-02T09:00:00")


@pytest.mark.parametrize("value, text", [(3, "3"), (2.5, "2,5"), (1.0, "1"), (1200, "1.200")])
def test_numbers_use_a_decimal_comma(value, text):
    assert number_de(value) == text
