"""Handlers of the events support consumes, each inside the consumer's unit of work (with inbox).

One small function per event type, looked up in `HANDLERS` (which `support.service` hands to the
kit): read the event with support's own schema, then call one use case. Every event of contracts
names the proposal the lease came from, the id support opened the case under; one that arrives
before the case exists (two services' events have no common order) raises NotYet in
`cases.for_proposal`, and the consumer lets it wait in the retry tiers until the case exists.
One without `proposal_id` (published before contracts added it) names no case support could ever
find: it is dead-lettered at once, to be replayed by hand if needed.
"""

from __future__ import annotations

from servicekit.bus import Event
from servicekit.bus.consumer import PermanentFailure
from servicekit.db import UnitOfWork
from servicekit.privacy import ERASURE_REQUESTED
from servicekit.service import versioned

from support import erasure
from support.models import SupportCase
from support.schemas import ClaimEvent, ContractEvent, IncidentEvent, TenancyEvent, TenancyEventV2
from support.usecases import cases, crises


def _reported_at(uow: UnitOfWork, event: Event):
    """The SLA runs from the report, not from when support got round to reading it; an event
    stamped in the future (clock skew) counts from now."""
    return min(event.occurred_at, uow.now())


def _case(uow: UnitOfWork, data: dict) -> SupportCase:
    if not data["proposal_id"]:
        raise PermanentFailure("the event names no proposal_id: no support case can be found for it")
    return cases.for_proposal(uow, data["proposal_id"])


def tenancy_agreed(uow: UnitOfWork, event: Event) -> None:
    """A lease was signed: support starts the same day."""
    cases.open_case(uow, TenancyEvent().load(event.data))


def tenancy_agreed_v2(uow: UnitOfWork, event: Event) -> None:
    """The same in version 2 (the referral number as `referral_no`)."""
    cases.open_case(uow, TenancyEventV2().load(event.data))


def contract_created(uow: UnitOfWork, event: Event) -> None:
    """The case's guarantee contract: its id and the number people quote."""
    data = ContractEvent().load(event.data)
    cases.link_contract(uow, _case(uow, data), data["contract_id"], data["contract_no"])


def contract_expired(uow: UnitOfWork, event: Event) -> None:
    """The five years are over: close with what staff recorded as the outcome, if anything."""
    data = ContractEvent().load(event.data)
    cases.close_on_expiry(uow, _case(uow, data))


def contract_terminated(uow: UnitOfWork, event: Event) -> None:
    data = ContractEvent().load(event.data)
    cases.close_on_termination(uow, _case(uow, data), data["reason"])


def incident_reported(uow: UnitOfWork, event: Event) -> None:
    data = IncidentEvent().load(event.data)
    crises.raise_crisis(uow, _case(uow, data), "incident", data["incident_id"],
                        _reported_at(uow, event))


def claim_submitted(uow: UnitOfWork, event: Event) -> None:
    """Only the claim kinds config/crisis.json names (rent arrears) are a crisis for the household."""
    data = ClaimEvent().load(event.data)
    if crises.opens_crisis(data["kind"]):
        crises.raise_crisis(uow, _case(uow, data), data["kind"], data["claim_id"],
                            _reported_at(uow, event))


HANDLERS = {
    # both versions while matching publishes both (docs/EVENT-CHANGES.md)
    "matching.tenancy.agreed": versioned({1: tenancy_agreed, 2: tenancy_agreed_v2}),
    "contracts.contract.created": contract_created,
    "contracts.contract.expired": contract_expired,
    "contracts.contract.terminated": contract_terminated,
    "contracts.incident.reported": incident_reported,
    "contracts.claim.submitted": claim_submitted,
    ERASURE_REQUESTED: erasure.household_erasure_requested,
}
