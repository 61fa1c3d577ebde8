"""Retention and erasure of households' personal data in contracts.

Guarantee contracts, claims and payouts are financial records: amounts, contract numbers, dates,
states and kinds stay (§ 147 AO / § 257 HGB, 10 years), the person goes. Erasing a household
empties its name, contact data and reference, the flat's street, every free text about it (claim
and decision reasons, termination notes, incident descriptions) and the evidence files' contents
and names (rent ledgers and invoices name the tenant); kind, size and SHA-256 of each file stay as
the record that, and which, evidence was submitted.

Two paths lead here:
- `matching.household.erasure_requested` (Art. 17, or matching's own retention): erased at once,
  unless a claim of the household is still open (submitted, returned, approved but not yet paid) —
  a legal hold: the request is recorded as `postponed` and `run_pending_erasures` erases once the
  last claim is settled, answering `contracts.household.erased` with the same request id. A claim
  or incident filed on the contract after the erasure (its grace period still runs) is erased once
  no claim of the contract is open (`erase_late_records`).
- the retention job, by the contract's end (its last covered day):
  after `RETENTION_CONTRACT_CONTACT_DAYS` (default: the claim grace period, 180 days) no claim can
  be filed any more, so contact data and incident descriptions have served their purpose; after
  `RETENTION_CONTRACT_ENDED_DAYS` (default 3653, 10 years) the whole contract is pseudonymised.
  Both wait while a claim of the contract is open. A withdrawn claim's evidence (bytes and file
  names; kind, size and hash stay) goes `RETENTION_WITHDRAWN_EVIDENCE_DAYS` (default 30) after the
  withdrawal: it serves no decision or payment; until then only the social office can open it, the
  company and finance no longer. Stored retry answers go after
  `RETENTION_IDEMPOTENCY_KEYS_DAYS` (7); published events leave the outbox by the kit worker's own
  job (`RETENTION_PUBLISHED_EVENTS_DAYS`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Iterable

from sqlalchemy import Text, cast, delete, exists, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from servicekit.db import UnitOfWork
from servicekit.privacy import CONTACT, erase, erased_event, forget_traces, retention_days
from servicekit.settings import Settings

from contracts import domain
from contracts.domain.claims import LEGAL_HOLD
from contracts.models import Claim, ClaimDocument, Contract, ErasureRequest, IdempotencyKey, Incident, Tenancy

ERASED = erased_event("contracts")
HOLD_OPEN_CLAIM = "open_claim"
SWEEP_WINDOW = timedelta(days=1)
ENDED = (domain.ContractState.EXPIRED.value, domain.ContractState.TERMINATED.value)
_HELD = [s.value for s in LEGAL_HOLD]


def _open_claim(*where) -> Any:
    return exists().where(Claim.status.in_(_HELD), *where)


def has_open_claim(session: Session, contracts: list[Contract]) -> bool:
    """Whether any of the household's contracts has an unsettled claim (claims are found by
    contract, which is indexed)."""
    ids = [c.id for c in contracts]
    return bool(ids) and bool(session.scalar(select(_open_claim(Claim.contract_id.in_(ids)))))


def _lock_household(session: Session, household_id: str) -> list[Contract]:
    """Lock the household's contracts: filing and deciding claims lock the contract row too, so no
    claim opens between the legal-hold check and the erasure."""
    return list(session.scalars(select(Contract).where(Contract.household_id == household_id)
                                .order_by(Contract.id).with_for_update(of=Contract)))


def _erase_contract(session: Session, contract: Contract, now: datetime) -> list[str]:
    """Pseudonymise one contract with its tenancy, claims, evidence and incidents; returns the ids
    of the entities whose audit details and retry answers must go too."""
    ids = [contract.id, contract.tenancy_id]
    erase(contract)
    erase(contract.tenancy)
    for claim in session.scalars(select(Claim).where(Claim.contract_id == contract.id)):
        erase(claim)
        ids.append(claim.id)
        for document in claim.documents:
            erase(document)
    for incident in session.scalars(select(Incident).where(Incident.contract_id == contract.id)):
        erase(incident)
        ids.append(incident.id)
    contract.contact_erased_at = contract.contact_erased_at or now
    contract.personal_data_erased_at = contract.personal_data_erased_at or now
    # a stored retry answer repeats the claim's or incident's text; it names the contract
    session.execute(delete(IdempotencyKey).where(cast(IdempotencyKey.body, Text).contains(contract.id)))
    return ids


def erase_household(uow: UnitOfWork, household_id: str, contracts: Iterable[Contract] | None = None) -> None:
    session, now = uow.session, uow.now()
    ids: list[str] = []
    for contract in contracts if contracts is not None else _lock_household(session, household_id):
        ids += _erase_contract(session, contract, now)
    for tenancy in session.scalars(select(Tenancy).where(Tenancy.household_id == household_id)):
        erase(tenancy)  # a tenancy whose contract is gone or never came
    session.flush()
    forget_traces(session, household_id, ids)
    uow.audit("household", household_id, "personal_data_erased")


def _answer(uow: UnitOfWork, request: ErasureRequest) -> None:
    uow.publish(ERASED, {"household_id": request.household_id, "request_id": request.request_id,
                         "status": request.status, "hold": request.hold})


def _claim_request(session: Session, household_id: str, request_id: str, reason: str, now: datetime) -> bool:
    """Record the request id, or learn that it is known: a concurrent duplicate waits for the first
    transaction and then finds the row (no error, no second answer)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = (dialect.insert(ErasureRequest)
            .values(request_id=request_id, household_id=household_id, reason=reason, received_at=now,
                    status="received")
            .on_conflict_do_nothing(index_elements=[ErasureRequest.request_id])
            .returning(ErasureRequest.request_id))
    return session.execute(stmt).scalar_one_or_none() is not None


def handle_request(uow: UnitOfWork, household_id: str, request_id: str, reason: str) -> None:
    """Erase now, or record the request as postponed while a claim is open. A request id already
    recorded has no second effect (the inbox catches redeliveries; this a re-published request)."""
    session = uow.session
    if not _claim_request(session, household_id, request_id, reason, uow.now()):
        return
    contracts = _lock_household(session, household_id)
    request = session.get(ErasureRequest, request_id)
    if has_open_claim(session, contracts):
        request.status, request.hold = "postponed", HOLD_OPEN_CLAIM
    else:
        erase_household(uow, household_id, contracts)
        request.status, request.erased_at = "erased", uow.now()
    session.flush()
    _answer(uow, request)


def run_pending_erasures(uow: UnitOfWork, batch_size: int = 100) -> int:
    """Erase the postponed households whose last open claim has been settled; returns how many
    requests were answered `erased`."""
    session = uow.session
    # only the settled ones, so a page of households still on hold never hides those behind it
    still_held = (select(Claim.id).join(Contract, Claim.contract_id == Contract.id)
                  .where(Claim.status.in_(_HELD), Contract.household_id == ErasureRequest.household_id)
                  .exists())
    pending = list(session.scalars(
        select(ErasureRequest).where(ErasureRequest.status == "postponed", ~still_held)
        .order_by(ErasureRequest.received_at, ErasureRequest.request_id)
        .limit(batch_size).with_for_update(of=ErasureRequest, skip_locked=True)))
    done, erased = 0, set()
    for request in pending:
        if request.household_id not in erased:
            contracts = _lock_household(session, request.household_id)
            if has_open_claim(session, contracts):  # a claim opened since the query
                continue
            erase_household(uow, request.household_id, contracts)
            erased.add(request.household_id)
        request.status, request.hold, request.erased_at = "erased", None, uow.now()
        _answer(uow, request)
        done += 1
    _sweep_late_events(uow)
    return done


def erase_late_records(uow: UnitOfWork, batch_size: int = 100) -> int:
    """A contract outlives its household's erasure while its term runs: the company may still file a
    claim or report an incident, with new text about the person. Once no claim of the contract is
    open, that goes too; the contract's erasure mark moves on, so each record is erased once."""
    session, now = uow.session, uow.now()
    erased_at = Contract.personal_data_erased_at
    late = or_(
        exists().where(Claim.contract_id == Contract.id, Claim.first_submitted_at > erased_at),
        exists().where(Incident.contract_id == Contract.id, Incident.reported_at > erased_at),
    )
    rows = list(session.scalars(
        select(Contract).where(erased_at.is_not(None), late, ~_open_claim(Claim.contract_id == Contract.id))
        .order_by(Contract.id).limit(batch_size).with_for_update(of=Contract, skip_locked=True)))
    for contract in rows:
        ids = _erase_contract(session, contract, now)
        contract.personal_data_erased_at = now
        session.flush()
        forget_traces(session, contract.household_id, ids)
    return len(rows)


def _sweep_late_events(uow: UnitOfWork) -> None:
    """An event about the household that was still waiting in the outbox when it was erased (a
    decision with its reason, say) is published afterwards; drop such rows once the broker has them.
    Anything older is covered by the retention of published events."""
    since = uow.now() - SWEEP_WINDOW
    households = uow.session.scalars(select(ErasureRequest.household_id).where(
        ErasureRequest.status == "erased", ErasureRequest.erased_at >= since).distinct())
    for household_id in list(households):
        forget_traces(uow.session, household_id)


# --------------------------------------------------------------------------- retention


@dataclass(frozen=True)
class Periods:
    contact: timedelta  # after the last covered day: contact data and incident descriptions
    ended: timedelta  # after the last covered day: everything personal
    idempotency_keys: timedelta  # stored retry answers
    withdrawn_evidence: timedelta = timedelta(days=30)  # after a claim's withdrawal: its documents

    @classmethod
    def from_settings(cls, settings: Settings, claim_grace_days: int) -> "Periods":
        return cls(
            contact=retention_days(settings, "contract_contact", claim_grace_days),
            ended=retention_days(settings, "contract_ended", 3653),
            idempotency_keys=retention_days(settings, "idempotency_keys", 7),
            withdrawn_evidence=retention_days(settings, "withdrawn_evidence", 30),
        )


def _due(marker, period: timedelta, today: date, batch_size: int):
    last_covered = func.coalesce(Contract.ended_on, Contract.term_end)
    return (select(Contract)
            .where(Contract.state.in_(ENDED), marker.is_(None), last_covered < today - period,
                   ~_open_claim(Claim.contract_id == Contract.id))
            .order_by(Contract.id).limit(batch_size).with_for_update(of=Contract, skip_locked=True))


def run_retention(uow: UnitOfWork, periods: Periods, today: date, batch_size: int = 100) -> int:
    """One batch of what is due; returns how many contracts (and retry answers) were erased, so the
    job calls it again until nothing is left."""
    session, now, done = uow.session, uow.now(), 0
    for contract in session.scalars(_due(Contract.personal_data_erased_at, periods.ended, today, batch_size)):
        ids = _erase_contract(session, contract, now)
        session.flush()
        forget_traces(session, contract.household_id, ids)
        uow.audit("contract", contract.id, "personal_data_erased", detail={"retention": "contract_ended"})
        done += 1
    for contract in session.scalars(_due(Contract.contact_erased_at, periods.contact, today, batch_size)):
        erase(contract.tenancy, only=[CONTACT])
        for incident in session.scalars(select(Incident).where(Incident.contract_id == contract.id)):
            erase(incident)
        contract.contact_erased_at = now
        uow.audit("contract", contract.id, "contact_data_erased", detail={"retention": "contract_contact"})
        done += 1
    withdrawn = list(session.scalars(
        select(ClaimDocument).join(Claim, Claim.id == ClaimDocument.claim_id)
        .where(Claim.status == domain.ClaimStatus.WITHDRAWN.value, Claim.withdrawn_at < now - periods.withdrawn_evidence,
               func.length(ClaimDocument.content) > 0)
        .order_by(ClaimDocument.id).limit(batch_size).with_for_update(of=ClaimDocument, skip_locked=True)))
    for doc in withdrawn:
        erase(doc)
        uow.audit("claim", doc.claim_id, "evidence_erased", detail={"retention": "withdrawn_evidence", "document_id": doc.id})
    done += len(withdrawn)
    stale = select(IdempotencyKey.scope, IdempotencyKey.key).where(
        IdempotencyKey.created_at < now - periods.idempotency_keys).limit(batch_size)
    keys = session.execute(stale).all()
    if keys:
        session.execute(delete(IdempotencyKey).where(or_(*[
            (IdempotencyKey.scope == scope) & (IdempotencyKey.key == key) for scope, key in keys])))
    return done + len(keys)
