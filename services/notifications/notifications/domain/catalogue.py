"""The vocabulary: event types of DESIGN.md section 4, recipient roles, channels, the envelope."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping

from .formatting import parse_instant

#: Every event type of DESIGN.md section 4. The routing table may only name these.
EVENT_CATALOGUE: frozenset[str] = frozenset(
    {
        "matching.flat.offered",
        "matching.flat.withdrawn",
        "matching.household.referred",
        "matching.proposal.created",
        "matching.proposal.accepted",
        "matching.proposal.declined",
        "matching.proposal.expired",
        "matching.tenancy.agreed",
        "contracts.company.registered",
        "contracts.contract.created",
        "contracts.contract.activated",
        "contracts.contract.expiring",
        "contracts.contract.expired",
        "contracts.contract.terminated",
        "contracts.claim.submitted",
        "contracts.claim.decided",
        "contracts.claim.paid",
        "contracts.incident.reported",
        "support.caseworker.registered",
        "support.case.opened",
        "support.case.closed",
        "support.appointment.scheduled",
        "support.appointment.cancelled",
        "notifications.delivery.failed",
        # Published by support beyond DESIGN.md's table (see services/support/asyncapi.yaml).
        "support.case.reassigned",
        "support.appointment.rescheduled",
        "support.case.at_risk",
        "support.crisis.breached",
    }
)

DELIVERY_FAILED = "notifications.delivery.failed"


class Role(str, enum.Enum):
    """Who a message is for, as the routing table names them."""

    COMPANY = "company"
    HOUSEHOLD = "household"
    CASEWORKER = "caseworker"
    CONTACT_PERSON = "contact_person"
    STAFF = "staff"
    FINANCE = "finance"
    OPERATORS = "operators"


#: Roles that are a shared mailbox of the social office rather than a person or company.
MAILBOX_ROLES: frozenset[Role] = frozenset({Role.STAFF, Role.FINANCE, Role.OPERATORS})

#: The shared mailboxes by name, in the order of `Role` (as the API lists them).
MAILBOXES: tuple[str, ...] = tuple(role.value for role in Role if role in MAILBOX_ROLES)


class Channel(str, enum.Enum):
    INBOX = "inbox"
    EMAIL = "email"
    WEBHOOK = "webhook"


class InvalidEvent(ValueError):
    """An envelope that cannot be handled (missing field, bad time, unknown shape)."""


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    occurred_at: datetime
    data: Mapping[str, Any] = field(default_factory=dict)
    version: int = 1
    source: str | None = None
    correlation_id: str | None = None

    @classmethod
    def from_envelope(cls, envelope: Mapping[str, Any]) -> "Event":
        try:
            event_id = str(envelope["id"])
            event_type = str(envelope["type"])
            occurred_at = parse_instant(envelope["occurred_at"])
            data = envelope.get("data") or {}
        except KeyError as missing:
            raise InvalidEvent(f"envelope lacks {missing.args[0]!r}") from None
        except ValueError as bad:
            raise InvalidEvent(f"envelope occurred_at: {bad}") from None
        if not isinstance(data, Mapping):
            raise InvalidEvent("envelope data must be an object")
        return cls(
            id=event_id,
            type=event_type,
            occurred_at=occurred_at,
            data=data,
            version=int(envelope.get("version", 1)),
            source=envelope.get("source"),
            correlation_id=envelope.get("correlation_id"),
        )
