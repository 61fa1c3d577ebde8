"""What every service's domain model shares: the events an aggregate records.

An aggregate (a contract, a case, a proposal) changes its own state and appends a `DomainEvent` to
its `events` list for each thing that happened; it knows no database and no broker. The use case
that loaded it hands it to `UnitOfWork.publish_recorded`, which writes those events to the outbox in
the transaction that also stores the new state. The `data` dictionaries are already in wire format
(ids as strings, dates ISO 8601, money in cents), as each service's asyncapi.yaml documents them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class DomainEvent:
    type: str
    data: dict[str, Any] = field(default_factory=dict)


class RecordsEvents(Protocol):
    events: list[DomainEvent]
