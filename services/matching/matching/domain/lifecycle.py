"""What every aggregate of matching shares: a state machine over `status`, and the events it records.

The ORM models (`matching.models`) mix these classes in: the rules live here and know no database;
the use cases (`matching.usecases`) load a row, let it decide, and hand it to
`UnitOfWork.publish_recorded`, which writes what it recorded to the outbox.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping, Set
from typing import Any

from servicekit.domain import DomainEvent
from servicekit.errors import StateConflict


def new_id() -> str:
    return str(uuid.uuid4())


def check(transitions: Mapping[Any, Set[Any]], current: str, new: str, what: str) -> None:
    """Refuse a state change the life cycle does not allow (409, code `<what>.invalid_transition`)."""
    if new not in transitions.get(current, frozenset()):
        raise StateConflict(f"{what}.invalid_transition", f"{what} cannot go from {current} to {new}")


class Lifecycle:
    """Mixed into an aggregate that has a `status`: `ENTITY` names it, `TRANSITIONS` is its life cycle."""

    ENTITY = ""  # no annotations on these mixins but this one: declarative maps only Mapped[]
    TRANSITIONS: "Mapping[enum.StrEnum, frozenset[enum.StrEnum]]" = {}

    @property
    def events(self) -> list[DomainEvent]:
        """What happened to this aggregate since it was loaded (not stored: the outbox keeps it)."""
        return self.__dict__.setdefault("_recorded_events", [])

    def record(self, event_type: str, data: dict[str, Any]) -> None:
        self.events.append(DomainEvent(event_type, data))

    def move_to(self, new: enum.StrEnum) -> str:
        """Go to `new` if the life cycle allows it; returns the state it left."""
        old = self.status
        check(self.TRANSITIONS, old, new, self.ENTITY)
        self.status = str(new)
        return old


def values(states: Set[enum.StrEnum]) -> list[str]:
    """Plain strings for a query (`Proposal.status.in_(values(OPEN))`), in a stable order."""
    return sorted(str(s) for s in states)
