"""Handlers of the events support consumes, each inside the consumer's unit of work (with inbox).

Thin: read the event with support's own schema, then call the service layer.
"""

from __future__ import annotations

from servicekit.bus import Event
from servicekit.db import UnitOfWork

from support import services
from support.domain.lifecycle import CloseOutcome, outcome_on_expiry
from support.schemas import ClaimEvent, ContractEvent, IncidentEvent, TenancyEvent, TenancyEventV2


class CaseNotKnownYet(RuntimeError):
    """An incident or claim arrived before the lease that opens its case (events from two services
    have no common order). Raised so that the consumer retries it later instead of dropping it."""


def _reported_at(uow: UnitOfWork, event: Event):
    """The SLA runs from the report, not from when support got round to reading it; an event
    stamped in the future (clock skew) counts from now."""
    return min(event.occurred_at, uow.now())


def tenancy_agreed(uow: UnitOfWork, event: Event) -> None:
    """A lease was signed: support starts the same day."""
    services.open_case(uow, TenancyEvent().load(event.data))


def tenancy_agreed_v2(uow: UnitOfWork, event: Event) -> None:
    """The same in version 2 (the referral number as `referral_no`)."""
    services.open_case(uow, TenancyEventV2().load(event.data))


def contract_created(uow: UnitOfWork, event: Event) -> None:
    """Learn which household a contract belongs to (incidents and claims name the contract)."""
    data = ContractEvent().load(event.data)
    if data["household_id"] and data["company_id"]:
        services.learn_contract(uow, data)


def contract_expired(uow: UnitOfWork, event: Event) -> None:
    """The five years are over: close with what staff recorded as the outcome, if anything."""
    data = ContractEvent().load(event.data)
    case = services.find_open_case(uow.session, contract_id=data["contract_id"], household_id=data["household_id"])
    if case is None or case.status != "open":
        return
    recorded = CloseOutcome(case.recorded_outcome) if case.recorded_outcome else None
    services.close_case(uow, case, outcome_on_expiry(recorded), None)


def contract_terminated(uow: UnitOfWork, event: Event) -> None:
    data = ContractEvent().load(event.data)
    case = services.find_open_case(uow.session, contract_id=data["contract_id"], household_id=data["household_id"])
    if case is None or case.status != "open":
        return
    services.close_case(uow, case, CloseOutcome.TENANCY_TERMINATED, data["reason"] or "Vertrag gekündigt")


def incident_reported(uow: UnitOfWork, event: Event) -> None:
    data = IncidentEvent().load(event.data)
    case = services.find_open_case(uow.session, contract_id=data["contract_id"], household_id=data["household_id"])
    if case is None:
        raise CaseNotKnownYet(data["incident_id"])
    if case.status == "open":
        services.raise_crisis(uow, case, "incident", data["incident_id"], _reported_at(uow, event))


def claim_submitted(uow: UnitOfWork, event: Event) -> None:
    """Only rent arrears are a crisis for the household; other losses are the company's matter."""
    data = ClaimEvent().load(event.data)
    if data["kind"] != "rent_arrears":
        return
    case = services.find_open_case(uow.session, contract_id=data["contract_id"], household_id=data["household_id"])
    if case is None:
        raise CaseNotKnownYet(data["claim_id"])
    if case.status == "open":
        services.raise_crisis(uow, case, "rent_arrears", data["claim_id"], _reported_at(uow, event))
