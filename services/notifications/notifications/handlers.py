"""Handlers of the events notifications consumes, each inside the consumer's unit of work (with inbox)."""

from __future__ import annotations

from servicekit.bus import Event
from servicekit.bus.consumer import PermanentFailure
from servicekit.db import UnitOfWork

from notifications import erasure, services


def on_event(uow: UnitOfWork, event: Event) -> None:
    """Every consumed event: update the recipient directory, write its notifications."""
    services.record_event(uow, event)


def on_erasure_requested(uow: UnitOfWork, event: Event) -> None:
    """`matching.household.erasure_requested`: erase the household's messages and directory entry,
    answer `notifications.household.erased`. Nothing here is under a legal hold."""
    household_id = event.data.get("household_id")
    if not household_id or len(str(household_id)) > 36:
        raise PermanentFailure("matching.household.erasure_requested: data lacks a valid 'household_id'")
    request_id = event.data.get("request_id")
    erasure.erase_household(uow, str(household_id), str(request_id)[:36] if request_id else None)
