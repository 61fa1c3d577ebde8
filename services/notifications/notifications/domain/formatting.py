"""German formatting for texts people receive.

Amounts arrive as integer cents and never pass through float. Dates print as ``01.03.2026``;
instants (UTC on the wire) print in Europe/Berlin local time, because that is the clock the
recipient lives by.
"""

from __future__ import annotations

from datetime import date, datetime

from servicekit.workdays import BERLIN

WEEKDAYS = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")
MONTHS = ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
          "November", "Dezember")


def group_thousands(value: int) -> str:
    """``1234567`` -> ``1.234.567`` (German thousands separator)."""
    return f"{value:,}".replace(",", ".")


def euro(cents: int) -> str:
    """Integer cents -> ``1.234,56 €``."""
    if isinstance(cents, bool) or not isinstance(cents, int):
        raise TypeError(f"money must be integer cents, got {type(cents).__name__}")
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(cents), 100)
    return f"{sign}{group_thousands(whole)},{rest:02d} €"


def parse_instant(value: str | datetime) -> datetime:
    """An ISO 8601 instant (``Z`` or offset) -> aware datetime. A naive value is refused: the
    wire format is UTC with an explicit zone, and guessing the zone would shift appointments."""
    if isinstance(value, datetime):
        parsed = value
    else:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError(f"instant without time zone: {value!r}")
    return parsed


def parse_day(value: str | date | datetime) -> date:
    """An ISO date, or an instant (taken as its Berlin calendar day)."""
    if isinstance(value, datetime):
        return to_berlin(value).date()
    if isinstance(value, date):
        return value
    text = str(value)
    if len(text) == 10:
        return date.fromisoformat(text)
    return to_berlin(parse_instant(text)).date()


def to_berlin(value: str | datetime) -> datetime:
    return parse_instant(value).astimezone(BERLIN)


def date_de(value: str | date | datetime) -> str:
    """``2026-03-01`` -> ``01.03.2026``."""
    return parse_day(value).strftime("%d.%m.%Y")


def weekday_de(value: str | date | datetime) -> str:
    return WEEKDAYS[parse_day(value).weekday()]


def time_de(value: str | datetime) -> str:
    """Berlin wall-clock time, ``14:30``."""
    return to_berlin(value).strftime("%H:%M")


def datetime_de(value: str | datetime) -> str:
    """``2026-03-02T09:00:00Z`` -> ``Montag, 02.03.2026, 10:00 Uhr`` (Berlin time)."""
    local = to_berlin(value)
    return f"{WEEKDAYS[local.weekday()]}, {local.strftime('%d.%m.%Y')}, {local.strftime('%H:%M')} Uhr"


def month_de(value: str) -> str:
    """``2026-12`` -> ``Dezember 2026``."""
    year, _, month = str(value).partition("-")
    if not (year.isdigit() and month.isdigit() and 1 <= int(month) <= 12):
        raise ValueError(f"not a month: {value!r}")
    return f"{MONTHS[int(month) - 1]} {int(year)}"


def period_de(value: dict) -> str:
    """A claim's months ``{"first": "2026-11", "last": "2026-12"}`` -> ``November bis Dezember 2026``."""
    first, last = month_de(value["first"]), month_de(value["last"])
    if first == last:
        return first
    first_month, first_year = first.rsplit(" ", 1)
    last_year = last.rsplit(" ", 1)[1]
    return f"{first_month if first_year == last_year else first} bis {last}"


FILTERS = {
    "euro": euro,
    "date_de": date_de,
    "time_de": time_de,
    "datetime_de": datetime_de,
    "weekday_de": weekday_de,
    "thousands": group_thousands,
    "month_de": month_de,
    "period_de": period_de,
}


def number_de(value: int | float | str) -> str:
    """``2.5`` -> ``2,5``; whole numbers without decimals."""
    number = float(value)
    if number.is_integer():
        return group_thousands(int(number))
    return f"{number:.2f}".rstrip("0").replace(".", ",")


FILTERS["number_de"] = number_de
