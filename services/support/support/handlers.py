"""Handlers of the events support consumes, each inside the consumer's unit of work (with inbox)."""

from __future__ import annotations

from sqlalchemy import select

from servicekit.bus import Event
from servicekit.db import UnitOfWork

from support.models import SupportCase
from support.schemas import TenancyEvent


def tenancy_agreed(uow: UnitOfWork, event: Event) -> None:
    """A lease was signed: support starts the same day."""
    data = TenancyEvent().load(event.data)
    if uow.session.scalar(select(SupportCase.id).where(SupportCase.proposal_id == data["proposal_id"])):
        return
    case = SupportCase(**data, status="open", opened_at=uow.now())
    uow.session.add(case)
    uow.session.flush()
    uow.audit("case", case.id, "opened", to_state="open")
