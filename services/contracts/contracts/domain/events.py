"""Domain events: what happened, as the aggregate saw it.

The service layer writes each one to the outbox in the same transaction as the state change. The
`data` dictionaries are already in wire format (ids as strings, dates ISO 8601, money in cents) and
follow the event catalogue in DESIGN.md §4 and the service's asyncapi.yaml.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class DomainEvent:
    type: str
    data: dict[str, Any] = field(default_factory=dict)
