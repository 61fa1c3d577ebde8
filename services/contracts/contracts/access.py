"""The access log for contracts' views: a view that hands a household's personal data to a person
records who read which households, for which purpose, before it answers (`record_access`).

Whether a read hands out personal data depends on the caller's role: finance's projection of a
contract carries no household data, so it is not logged as a read of one.
"""

from __future__ import annotations

from typing import Iterable

from servicekit.privacy import record_access
from servicekit.web import current_principal

from contracts.schemas import HouseholdBound


def log_reads(schema: type[HouseholdBound], household_ids: Iterable[str | None], purpose: str | None = None) -> None:
    if schema.hands_out_household_data(current_principal().roles):
        record_access(household_ids, purpose)


def log_read(household_id: str | None, purpose: str | None = None) -> None:
    """A read whose answer always carries the household (evidence documents, the contract PDF)."""
    record_access([household_id], purpose)
