"""Handlers of the events contracts consumes, each inside the consumer's unit of work (with inbox)."""

from __future__ import annotations

from sqlalchemy import select

from servicekit.bus import Event
from servicekit.db import UnitOfWork

from contracts.models import Tenancy
from contracts.schemas import TenancyEvent


def tenancy_agreed(uow: UnitOfWork, event: Event) -> None:
    """Matching recorded a signed lease: keep the tenancy (the guarantee contract follows from it)."""
    data = TenancyEvent().load(event.data)
    if uow.session.scalar(select(Tenancy.id).where(Tenancy.proposal_id == data["proposal_id"])):
        return  # the same lease reported again under a new event id (e.g. re-published by hand)
    tenancy = Tenancy(**data, recorded_at=uow.now())
    uow.session.add(tenancy)
    uow.session.flush()
    uow.audit("tenancy", tenancy.id, "recorded", to_state="recorded")
