"""What the use-case modules share: visibility for company callers and the Berlin day."""

from __future__ import annotations

from datetime import date
from typing import Any

from servicekit.clock import berlin_date
from servicekit.db import UnitOfWork
from servicekit.errors import NotFound


def visible(row: Any, company_id: str | None, what: str) -> Any:
    """`row`, unless it is missing or belongs to another company than the calling one (both: 404)."""
    if row is None or (company_id is not None and row.company_id != company_id):
        raise NotFound(f"No {what} with this id.")
    return row


def today(uow: UnitOfWork) -> date:
    return berlin_date(uow.now())
