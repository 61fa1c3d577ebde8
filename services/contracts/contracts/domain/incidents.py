"""Incident reports ("report early"): a company tells the city about trouble before it becomes a
claim, and support turns the report into a crisis appointment."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from .contract import ContractState, GuaranteeContract
from .errors import RuleViolation, StateConflict
from .events import DomainEvent

MAX_DESCRIPTION = 4000


class IncidentKind(enum.StrEnum):
    PAYMENT_DELAY = "payment_delay"
    NEIGHBOUR_CONFLICT = "neighbour_conflict"
    DAMAGE = "damage"
    OTHER = "other"


class Severity(enum.StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"  # support treats high as urgent: crisis appointment within its SLA


@dataclass(frozen=True)
class Incident:
    id: str
    contract_id: str
    kind: IncidentKind
    severity: Severity
    description: str
    reported_at: datetime
    reported_by: str


def report_incident(
    contract: GuaranteeContract,
    *,
    incident_id: str,
    kind: IncidentKind,
    severity: Severity,
    description: str,
    by: str,
    at: datetime,
) -> tuple[Incident, DomainEvent]:
    # A draft contract already has a household living in the flat (the lease is signed), so
    # reporting early must work before the guarantee is countersigned; after the end it is too late.
    if contract.state not in (ContractState.DRAFT, ContractState.ACTIVE):
        raise StateConflict("contract.ended", f"contract is {contract.state}; incidents need a running tenancy")
    description = description.strip()
    if not description:
        raise RuleViolation("incident.description_required", "describe what happened", "description")
    if len(description) > MAX_DESCRIPTION:
        raise RuleViolation("incident.description_too_long", f"at most {MAX_DESCRIPTION} characters", "description")
    incident = Incident(incident_id, contract.id, kind, severity, description, at, by)
    event = DomainEvent(
        "contracts.incident.reported",
        {
            "incident_id": incident_id,
            **contract.references(),
            "kind": kind.value,
            "severity": severity.value,
        },
    )
    return incident, event
