"""Reading an event's payload into a row: nested objects of the wire format (`address`,
`household`) flattened into the column names a consumer stores them under."""

from __future__ import annotations

from typing import Any, Iterable


def flattened(data: dict[str, Any], **prefixes: str) -> dict[str, Any]:
    """`flattened(data, address="", household="household_")` turns
    `{"address": {"street": "A"}, "household": {"name": "B"}, "flat_id": "f"}` into
    `{"street": "A", "household_name": "B", "flat_id": "f"}`; a nested object that is missing or
    null adds nothing."""
    flat = {k: v for k, v in data.items() if k not in prefixes}
    for key, prefix in prefixes.items():
        for name, value in (data.get(key) or {}).items():
            flat[prefix + name] = value
    return flat


def picked(data: dict[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """The members of `data` that a row has columns for (so a new field in an event breaks no consumer)."""
    return {name: data[name] for name in names if name in data}
