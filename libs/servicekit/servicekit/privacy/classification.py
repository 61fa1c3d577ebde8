"""Which stored fields concern a person, declared once on the column itself.

    name: Mapped[str] = mapped_column(String(200), info=personal(IDENTIFYING))
    floor: Mapped[int] = mapped_column(Integer)                       # not about a person

That one declaration drives log redaction, the export of a household's data and its erasure, and
the records-of-processing document. `unclassified(metadata)` lists columns that look personal but
carry no declaration, so a new `phone` or free-text column cannot slip in unnoticed; a column that
only looks personal (a flat's `street`, a company's `email`) says so with `not_personal("why")`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Iterator

from sqlalchemy import JSON, Boolean, Column, Integer, MetaData, Text
from sqlalchemy.types import TypeDecorator


class Category(StrEnum):
    IDENTIFYING = "identifying"  # name, reference numbers that name a person
    CONTACT = "contact"  # email, phone, postal address of a person
    SOCIAL = "social"  # special category / social data: needs, urgency, risk, outcome, household make-up
    FREE_TEXT = "free_text"  # anything people typed about a person (reasons, notes, descriptions)


IDENTIFYING, CONTACT, SOCIAL, FREE_TEXT = Category.IDENTIFYING, Category.CONTACT, Category.SOCIAL, Category.FREE_TEXT

# German labels for the records of processing and the access export's summary.
LABELS_DE = {
    IDENTIFYING: "Identifizierende Daten",
    CONTACT: "Kontaktdaten",
    SOCIAL: "Sozialdaten (§ 67 SGB X)",
    FREE_TEXT: "Freitext zur Person",
}

_KEEP = object()


def personal(category: Category | str, *, erase: Any = None, keep: bool = False, label: str | None = None) -> dict:
    """Column info for a field about a person. On erasure it becomes `erase` (default NULL, or the
    type's empty value for NOT NULL columns); `keep=True` for values the program must keep after
    the person is gone (pseudonymous statistics such as a household's size)."""
    return {"personal": Category(category), "erase": _KEEP if keep else erase, "label": label}


def not_personal(reason: str) -> dict:
    """Column info for a field that looks personal by its name but is not (say why)."""
    return {"personal": None, "reason": reason}


@dataclass(frozen=True)
class Field:
    table: str
    column: str
    category: Category
    label: str | None
    keep: bool


def fields(metadata: MetaData) -> list[Field]:
    """Every classified column of a service."""
    found = []
    for table in metadata.sorted_tables:
        for column in table.columns:
            category = column.info.get("personal")
            if category:
                found.append(Field(table.name, column.name, category, column.info.get("label"),
                                   column.info.get("erase") is _KEEP))
    return found


def personal_columns(table) -> list[Column]:
    return [c for c in table.columns if c.info.get("personal")]


_LOOKS_PERSONAL = re.compile(
    r"name|email|mail|phone|street|address|postal|birth|note|text|reason|description|comment|outcome|"
    r"needs|urgency|contact|snapshot|payload|body|detail|risk"
)


def _looks_personal(column: Column) -> bool:
    if column.primary_key or column.foreign_keys or column.name.endswith("_id"):
        return False
    kind = column.type.impl if isinstance(column.type, TypeDecorator) else column.type
    if isinstance(kind, (Integer, Boolean)) and not _LOOKS_PERSONAL.search(column.name):
        return False
    return bool(_LOOKS_PERSONAL.search(column.name)) or isinstance(kind, (Text, JSON))


def unclassified(metadata: MetaData) -> list[str]:
    """`table.column` of every column that looks personal (by name, or free text / JSON by type)
    and says neither `personal(...)` nor `not_personal(...)`."""
    return [
        f"{table.name}.{column.name}"
        for table in metadata.sorted_tables
        for column in table.columns
        if "personal" not in column.info and _looks_personal(column)
    ]


def erased_values(table, only: set[Category] | None = None) -> dict[str, Any]:
    """The values that replace a row's personal fields when the person is erased."""
    values = {}
    for column in personal_columns(table):
        info = column.info
        if info.get("erase") is _KEEP or (only and info["personal"] not in only):
            continue
        if info.get("erase") is not None:
            values[column.name] = info["erase"]
        elif column.nullable:
            values[column.name] = None
        else:
            values[column.name] = _empty(column)
    return values


def _empty(column: Column) -> Any:
    kind = column.type.impl if isinstance(column.type, TypeDecorator) else column.type
    if isinstance(kind, JSON):
        return {}
    if isinstance(kind, Boolean):
        return False
    if isinstance(kind, Integer):
        return 0
    return "[gelöscht]"


def personal_names(metadata: MetaData | None) -> set[str]:
    """Attribute names that hold personal data somewhere in the service (drives log redaction)."""
    return {f.column for f in fields(metadata)} if metadata is not None else set()


def iter_personal(obj) -> Iterator[tuple[str, Any]]:
    """(column, value) of an ORM object's classified fields, for the access export."""
    for column in personal_columns(obj.__table__):
        yield column.name, getattr(obj, column.key)
