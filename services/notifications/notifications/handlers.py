"""Handlers of the events notifications consumes, each inside the consumer's unit of work (with inbox)."""

from __future__ import annotations

from servicekit.bus import Event
from servicekit.db import UnitOfWork

from notifications import services


def on_event(uow: UnitOfWork, event: Event) -> None:
    """Every consumed event: update the recipient directory, write its notifications."""
    services.record_event(uow, event)
