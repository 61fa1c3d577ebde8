"""Handlers of the events contracts consumes, each inside the consumer's unit of work (with inbox).

Each reads the producer's event through contracts' own schema (unknown fields ignored, invalid data
dead-lettered at once) and is naturally idempotent, so an event re-published under a new id has no
second effect either.
"""

from __future__ import annotations

from servicekit.bus import Event
from servicekit.db import UnitOfWork
from servicekit.service import versioned

from contracts import erasure
from contracts.usecases import tenancies
from contracts.models import FlatOffer, ProposalRecord
from contracts.schemas import ErasureRequestEvent, FlatEvent, ProposalEvent, TenancyEvent, TenancyEventV2


def tenancy_agreed(uow: UnitOfWork, event: Event) -> None:
    """Matching recorded a signed lease: keep the tenancy and draft its guarantee contract."""
    tenancies.record_tenancy(uow, TenancyEvent().load(event.data))


def tenancy_agreed_v2(uow: UnitOfWork, event: Event) -> None:
    """The same in version 2 (the referral number as `referral_no`)."""
    tenancies.record_tenancy(uow, TenancyEventV2().load(event.data))


def flat_offered(uow: UnitOfWork, event: Event) -> None:
    data = FlatEvent().load(event.data)
    if uow.session.get(FlatOffer, data["flat_id"]) is None:
        uow.session.add(FlatOffer(flat_id=data["flat_id"], company_id=data["company_id"], offered_at=event.occurred_at))


def flat_withdrawn(uow: UnitOfWork, event: Event) -> None:
    data = FlatEvent().load(event.data)
    offer = uow.session.get(FlatOffer, data["flat_id"])
    if offer is not None and offer.withdrawn_at is None:
        offer.withdrawn_at = event.occurred_at


def _proposal(uow: UnitOfWork, data: dict) -> ProposalRecord:
    record = uow.session.get(ProposalRecord, data["proposal_id"])
    if record is None:
        record = ProposalRecord(proposal_id=data["proposal_id"])
        uow.session.add(record)
    if data.get("company_id") and not record.company_id:
        record.company_id = data["company_id"]
    return record


def proposal_created(uow: UnitOfWork, event: Event) -> None:
    record = _proposal(uow, ProposalEvent().load(event.data))
    record.created_at = record.created_at or event.occurred_at


def _respond(uow: UnitOfWork, event: Event, outcome: str) -> None:
    data = ProposalEvent().load(event.data)
    record = _proposal(uow, data)
    if data.get("party") == "company":
        record.company_response = outcome
    elif data.get("party") == "household":
        record.household_response = outcome


def proposal_accepted(uow: UnitOfWork, event: Event) -> None:
    _respond(uow, event, "accepted")


def proposal_declined(uow: UnitOfWork, event: Event) -> None:
    _respond(uow, event, "declined")


def proposal_expired(uow: UnitOfWork, event: Event) -> None:
    record = _proposal(uow, ProposalEvent().load(event.data))
    record.expired_at = record.expired_at or event.occurred_at


def household_erasure_requested(uow: UnitOfWork, event: Event) -> None:
    """Erase the household's personal data, or postpone while one of its claims is open; answers
    `contracts.household.erased` in the same transaction."""
    data = ErasureRequestEvent().load(event.data)
    erasure.handle_request(uow, data["household_id"], data["request_id"], data["reason"])


# What contracts does with each event it reads: one function per event type (and version).
HANDLERS = {
    # both versions while matching publishes both (docs/EVENT-CHANGES.md)
    "matching.tenancy.agreed": versioned({1: tenancy_agreed, 2: tenancy_agreed_v2}),
    "matching.flat.offered": flat_offered,
    "matching.flat.withdrawn": flat_withdrawn,
    "matching.proposal.created": proposal_created,
    "matching.proposal.accepted": proposal_accepted,
    "matching.proposal.declined": proposal_declined,
    "matching.proposal.expired": proposal_expired,
    "matching.household.erasure_requested": household_erasure_requested,
}
