"""The events support publishes, each built in one place from what the use case decided.

The builders read the attributes they name from the objects they are given (a case, a caseworker,
an appointment, a crisis: anything with those attributes), and return a `DomainEvent` in the shape
asyncapi.yaml documents. The use case puts it into the outbox in the transaction that stored the
change.
"""

from __future__ import annotations

from typing import Any

from servicekit.domain import DomainEvent


def person(caseworker: Any) -> dict | None:
    """A caseworker as events and answers name them: whom to contact."""
    if caseworker is None:
        return None
    return {"id": caseworker.id, "name": caseworker.name, "email": caseworker.email, "phone": caseworker.phone}


def caseworker_registered(caseworker: Any) -> DomainEvent:
    return DomainEvent("support.caseworker.registered", {
        "caseworker_id": caseworker.id, "name": caseworker.name, "email": caseworker.email,
        "roles": caseworker.roles,
    })


def case_opened(case: Any, contact: Any) -> DomainEvent:
    """The case has its team: the household learns its contact person."""
    return DomainEvent("support.case.opened", {
        "case_id": case.id,
        "case_reference": case.reference,
        "household_id": case.household_id,
        "company_id": case.company_id,
        "contract_id": case.contract_id,
        "contract_no": case.contract_no,
        "contact_person_id": contact.id,
        "contact_person": person(contact),
        "social_worker_id": case.social_worker_id,
        "household": {"name": case.household_name, "email": case.household_email, "phone": case.household_phone},
        "support_start": case.support_start,
    })


def case_closed(case: Any) -> DomainEvent:
    return DomainEvent("support.case.closed", {
        "case_id": case.id, "household_id": case.household_id, "company_id": case.company_id,
        "contract_id": case.contract_id, "contact_person_id": case.contact_person_id,
        "outcome": case.outcome, "reason": case.close_reason,
    })


def case_reassigned(case: Any, role: str, previous_id: str | None, new: Any, reason: str) -> DomainEvent:
    return DomainEvent("support.case.reassigned", {
        "case_id": case.id, "household_id": case.household_id, "company_id": case.company_id,
        "role": role, "previous_caseworker_id": previous_id, "caseworker_id": new.id,
        "caseworker": person(new), "reason": reason,
    })


def case_at_risk(case: Any, crisis: Any) -> DomainEvent:
    return DomainEvent("support.case.at_risk", {
        "case_id": case.id, "case_reference": case.reference, "household_id": case.household_id,
        "contact_person_id": case.contact_person_id, "trigger": crisis.trigger, "deadline": crisis.deadline,
    })


def crisis_breached(case: Any, crisis: Any) -> DomainEvent:
    return DomainEvent("support.crisis.breached", {
        "crisis_id": crisis.id, "case_id": case.id, "case_reference": case.reference,
        "household_id": case.household_id, "contact_person_id": case.contact_person_id,
        "deadline": crisis.deadline,
    })


def _appointment(event_type: str, appointment: Any, case: Any, **extra: Any) -> DomainEvent:
    return DomainEvent(event_type, {
        "appointment_id": appointment.id, "case_id": case.id, "case_reference": case.reference,
        "household_id": case.household_id, "caseworker_id": appointment.caseworker_id, "kind": appointment.kind,
        "starts_at": appointment.starts_at, "ends_at": appointment.ends_at, **extra,
    })


def appointment_scheduled(appointment: Any, case: Any) -> DomainEvent:
    return _appointment("support.appointment.scheduled", appointment, case)


def appointment_rescheduled(appointment: Any, case: Any) -> DomainEvent:
    return _appointment("support.appointment.rescheduled", appointment, case)


def appointment_cancelled(appointment: Any, case: Any) -> DomainEvent:
    return _appointment("support.appointment.cancelled", appointment, case, reason=appointment.cancel_reason)
