"""Handlers of the events notifications consumes, each inside the consumer's unit of work (with inbox).

Each translates a message into a use case call and nothing more; `notifications.service` wires
them to the event types."""

from __future__ import annotations

from dataclasses import replace

from servicekit.bus import Event
from servicekit.bus.consumer import PermanentFailure
from servicekit.db import UnitOfWork

from notifications import erasure
from notifications.usecases import events


def on_event(uow: UnitOfWork, event: Event) -> None:
    """Every consumed event: update the recipient directory, write its notifications."""
    events.record_event(uow, event)


def on_tenancy_agreed_v2(uow: UnitOfWork, event: Event) -> None:
    """`matching.tenancy.agreed` version 2 names the referral number `referral_no`. Read into the
    version 1 shape the routing table, templates and the companies' webhooks were built on
    (`household_reference`, webhooks.yaml): matching's rename does not reach the companies."""
    data = {k: v for k, v in event.data.items() if k != "referral_no"}
    data["household_reference"] = event.data.get("referral_no")
    events.record_event(uow, replace(event, data=data))


def on_erasure_requested(uow: UnitOfWork, event: Event) -> None:
    """`matching.household.erasure_requested`: erase the household's messages and directory entry,
    answer `notifications.household.erased`. Nothing here is under a legal hold."""
    household_id = event.data.get("household_id")
    if not household_id or len(str(household_id)) > 36:
        raise PermanentFailure("matching.household.erasure_requested: data lacks a valid 'household_id'")
    request_id = event.data.get("request_id")
    erasure.erase_household(uow, str(household_id), str(request_id)[:36] if request_id else None)
