"""German formats for documents people read, used as template filters."""

from __future__ import annotations

from datetime import date, datetime

from markupsafe import Markup

from servicekit.workdays import BERLIN


def euro(cents: int) -> str:
    """German money format: 10.000,00 €."""
    sign = "-" if cents < 0 else ""
    euros, rest = divmod(abs(cents), 100)
    return f"{sign}{euros:,}".replace(",", ".") + f",{rest:02d} €"


def german_date(day: date) -> str:
    return day.strftime("%d.%m.%Y")


def german_datetime(at: datetime) -> str:
    return at.astimezone(BERLIN).strftime("%d.%m.%Y, %H:%M Uhr")


def german_list(items: list[str] | tuple[str, ...], conjunction: str = "und") -> str:
    """"90, 60 und 30" — an enumeration as German prose."""
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def version_date(version: str) -> str:
    """A configuration version "2026-11-25" as "25.11.2026"; any other version as it is."""
    try:
        return german_date(date.fromisoformat(version))
    except ValueError:
        return version


def css_string(text: str) -> Markup:
    """`text` as the inside of a double-quoted CSS string in a <style> element (running headers):
    every character that could end the string or the element is a CSS escape, so no HTML escaping."""
    return Markup("".join(f"\\{ord(c):x} " if c in '"\'\\<>&\n' else c for c in text))
