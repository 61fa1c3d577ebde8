"""Handing the events the domain built to the unit of work's outbox."""

from __future__ import annotations

from dataclasses import dataclass, field

from servicekit.db import UnitOfWork
from servicekit.domain import DomainEvent


@dataclass
class Recorded:
    """What one step of a use case recorded (support's rows are not aggregates of their own)."""

    events: list[DomainEvent] = field(default_factory=list)


def publish(uow: UnitOfWork, *recorded: DomainEvent) -> None:
    """Into the outbox, in order, in the caller's transaction."""
    uow.publish_recorded(Recorded(list(recorded)))
