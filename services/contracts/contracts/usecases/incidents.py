"""Use cases of incident reports: a company reports trouble early."""

from __future__ import annotations

from servicekit.db import UnitOfWork

from contracts import domain
from contracts.models import Incident, new_id

from .contracts import load_aggregate


def report_incident(uow: UnitOfWork, contract_id: str, company_id: str | None, *, kind: domain.IncidentKind,
                    severity: domain.Severity, description: str) -> Incident:
    row, contract, _ = load_aggregate(uow, contract_id, company_id, lock=False)
    incident, event = domain.report_incident(
        contract, incident_id=new_id(), kind=kind, severity=severity, description=description,
        by=uow.actor, at=uow.now(),
    )
    incident_row = Incident(
        id=incident.id, contract_id=row.id, company_id=row.company_id, household_id=row.household_id,
        kind=incident.kind.value, severity=incident.severity.value, description=incident.description,
        reported_at=incident.reported_at, reported_by=incident.reported_by,
    )
    uow.session.add(incident_row)
    uow.session.flush()
    uow.audit("incident", incident.id, "reported", to_state="reported",
              detail={"contract_id": row.id, "kind": incident.kind.value, "severity": incident.severity.value})
    uow.publish(event.type, event.data)
    return incident_row
