"""Service layer: one function per use case, each inside the caller's unit of work.

Each function loads what it needs (locking the contract row where claims are compared with each
other), lets the domain decide, writes the rows back, appends to the audit trail and puts the
domain's events into the outbox — all in the caller's transaction, which the caller commits.
Company scoping happens here too: pass `company_id` for a company caller and another company's
objects are indistinguishable from missing ones.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from prometheus_client import Histogram
from sqlalchemy import func, select, tuple_

from servicekit.db import UnitOfWork
from servicekit.errors import NotFound

from contracts import domain, repository
from contracts.config import ProgramConfig, load_program_config
from contracts.domain.evidence import EvidenceInfo, EvidenceKind, EvidenceUsage, check_quota
from contracts.domain.expiry import apply as apply_expiry
from contracts.models import Claim, ClaimDocument, Company, Contract, Incident, Tenancy, new_id

DAY = 86_400
# Prometheus wants base units: seconds, with buckets at the day marks finance is measured by.
CLAIM_DECISION_SECONDS = Histogram(
    "contracts_claim_decision_seconds",
    "Time from a claim's first submission to finance's approval or rejection",
    buckets=tuple(d * DAY for d in (1, 3, 7, 14, 21, 30, 45, 60, 90, 180)),
)


@lru_cache(maxsize=1)
def program_config() -> ProgramConfig:
    return load_program_config()


@dataclass(frozen=True)
class Upload:
    """One evidence document as received (already base64-decoded and type-checked by the schema)."""

    kind: str
    filename: str
    content_type: str
    content: bytes

    @property
    def info(self) -> EvidenceInfo:
        return EvidenceInfo(EvidenceKind(self.kind), self.filename, self.content_type, len(self.content))


def _publish(uow: UnitOfWork, contract: domain.GuaranteeContract) -> None:
    for event in contract.events:
        uow.publish(event.type, event.data)
    contract.events.clear()


def _visible(row: Any, company_id: str | None, what: str) -> Any:
    if row is None or (company_id is not None and row.company_id != company_id):
        raise NotFound(f"No {what} with this id.")
    return row


def _today(uow: UnitOfWork) -> date:
    return domain.berlin_date(uow.now())


# --------------------------------------------------------------------------- tenancies and contracts


def record_tenancy(uow: UnitOfWork, data: dict[str, Any]) -> Contract | None:
    """A lease was signed (matching.tenancy.agreed): keep the tenancy and draft its guarantee.

    Returns None when this proposal's tenancy is already known (the event re-published under a new
    id); the inbox already catches redeliveries of the same event.
    """
    session = uow.session
    if session.scalar(select(Tenancy.id).where(Tenancy.proposal_id == data["proposal_id"])):
        return None
    now = uow.now()
    address = data.get("address") or {}
    household = data.get("household") or {}
    tenancy = Tenancy(
        id=new_id(),
        proposal_id=data["proposal_id"],
        flat_id=data["flat_id"],
        household_id=data["household_id"],
        company_id=data["company_id"],
        lease_start=data["lease_start"],
        lease_unlimited=data.get("lease_unlimited"),
        cold_rent_cents=data["cold_rent_cents"],
        service_charges_cents=data["service_charges_cents"],
        heating_cents=data.get("heating_cents") or 0,
        street=address.get("street"),
        postal_code=address.get("postal_code"),
        city=address.get("city"),
        district=address.get("district"),
        household_name=household.get("name"),
        household_email=household.get("email"),
        household_phone=household.get("phone"),
        household_size=household.get("size"),
        household_reference=data.get("household_reference"),
        recorded_at=now,
    )
    session.add(tenancy)
    session.flush()
    uow.audit("tenancy", tenancy.id, "recorded", to_state="recorded")

    config = program_config()
    contract = domain.GuaranteeContract.create(
        id=new_id(),
        contract_no=repository.next_contract_no(session, domain.berlin_date(now).year),
        company_id=tenancy.company_id,
        household_id=tenancy.household_id,
        proposal_id=tenancy.proposal_id,
        lease_start=tenancy.lease_start,
        coverage=config.coverage,
        monthly_covered_rent_cents=tenancy.cold_rent_cents + tenancy.service_charges_cents,
        term_years=config.term_years,
        household_reference=tenancy.household_reference,
    )
    row = Contract(
        id=contract.id,
        contract_no=contract.contract_no,
        tenancy_id=tenancy.id,
        company_id=contract.company_id,
        household_id=contract.household_id,
        household_reference=tenancy.household_reference,
        term_start=contract.term.start,
        term_end=contract.term.end,
        coverage=contract.coverage.to_dict(),
        config_version=config.version,
        monthly_covered_rent_cents=contract.monthly_covered_rent_cents,
        state=contract.state.value,
        notices_sent=[],
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    uow.audit("contract", row.id, "created", to_state=row.state,
              detail={"contract_no": row.contract_no, "config_version": config.version})
    _publish(uow, contract)
    return row


def get_contract(uow: UnitOfWork, contract_id: str, company_id: str | None) -> Contract:
    return _visible(repository.get_contract_row(uow.session, contract_id), company_id, "contract")


def load_aggregate(
    uow: UnitOfWork, contract_id: str, company_id: str | None, *, lock: bool
) -> tuple[Contract, domain.GuaranteeContract, dict[str, Claim]]:
    row = _visible(repository.get_contract_row(uow.session, contract_id, lock=lock), company_id, "contract")
    claims = repository.claim_rows(uow.session, row.id)
    return row, repository.to_domain(row, claims), {c.id: c for c in claims}


def _save_contract(uow: UnitOfWork, row: Contract, contract: domain.GuaranteeContract, action: str,
                   from_state: str, detail: dict[str, Any] | None = None) -> None:
    repository.into_row(contract, row)
    row.updated_at = uow.now()
    uow.audit("contract", row.id, action, from_state=from_state, to_state=row.state, detail=detail)
    _publish(uow, contract)


def sign(uow: UnitOfWork, contract_id: str, party: domain.Party, company_id: str | None) -> Contract:
    row, contract, _ = load_aggregate(uow, contract_id, company_id, lock=True)
    before = contract.state.value
    contract.sign(party, by=uow.actor, at=uow.now())
    _save_contract(uow, row, contract, f"signed_by_{party.value}", before)
    return row


def terminate(uow: UnitOfWork, contract_id: str, reason: domain.TerminationReason, effective_on: date,
              note: str | None) -> Contract:
    row, contract, _ = load_aggregate(uow, contract_id, None, lock=True)
    before = contract.state.value
    contract.terminate(reason, effective_on=effective_on, at=uow.now(), note=note)
    _save_contract(uow, row, contract, "terminated", before,
                   {"reason": reason.value, "effective_on": effective_on.isoformat()})
    return row


# --------------------------------------------------------------------------- end of term


@dataclass(frozen=True)
class EndOfTermPage:
    actions: int
    last_key: tuple[date, str] | None  # where the next page starts; None when there is none


def run_end_of_term(uow: UnitOfWork, *, after: tuple[date, str] | None = None,
                    batch_size: int = 200) -> EndOfTermPage:
    """One page of the end-of-term run: send due expiry notices and expire contracts whose term is over.

    Only active contracts within reach of the largest notice threshold are looked at, page by page
    in (term_end, id) order, so contracts with nothing due never hide the ones behind them. Rows are
    locked with SKIP LOCKED, so several workers share the work without sending anything twice.
    """
    config = program_config()
    today = _today(uow)
    horizon = today + timedelta(days=max(config.expiry_notice_days, default=0))
    stmt = (
        select(Contract)
        .where(Contract.state == domain.ContractState.ACTIVE.value, Contract.term_end <= horizon)
        .order_by(Contract.term_end, Contract.id)
        .limit(batch_size)
        .with_for_update(of=Contract, skip_locked=True)
    )
    if after is not None:
        stmt = stmt.where(tuple_(Contract.term_end, Contract.id) > tuple_(*after))
    rows = list(uow.session.scalars(stmt))
    done = 0
    for row in rows:
        contract = repository.to_domain(row)
        action = domain.due_action(contract, today, config.expiry_notice_days)
        if action is None:
            continue
        before = contract.state.value
        apply_expiry(contract, action, today=today, at=uow.now(), thresholds=config.expiry_notice_days)
        name = "expired" if isinstance(action, domain.Expire) else f"expiry_notice_{action.days_before}"
        _save_contract(uow, row, contract, name, before)
        done += 1
    last = (rows[-1].term_end, rows[-1].id) if len(rows) == batch_size else None
    return EndOfTermPage(done, last)


# --------------------------------------------------------------------------- claims


def _usage(session, *where) -> EvidenceUsage:
    n, size = session.execute(select(func.count(ClaimDocument.id), func.coalesce(func.sum(ClaimDocument.size), 0))
                              .join(Claim, Claim.id == ClaimDocument.claim_id).where(*where)).one()
    return EvidenceUsage(int(n), int(size))


def check_evidence_quota(uow: UnitOfWork, contract_row: Contract, uploads: list[Upload]) -> None:
    """Evidence storage quotas (program.json `evidence_quota`): per contract, counted under the
    contract's row lock the caller holds, and per company per Berlin day, counted under the
    company's row lock taken here — so parallel uploads to several contracts cannot each pass."""
    if not uploads:
        return
    session = uow.session
    session.scalar(select(Company.id).where(Company.id == contract_row.company_id).with_for_update())
    today = domain.berlin_date(uow.now())
    midnight = datetime(today.year, today.month, today.day, tzinfo=domain.BERLIN)
    check_quota(
        [u.info for u in uploads],
        contract=_usage(session, Claim.contract_id == contract_row.id),
        company_today=_usage(session, Claim.company_id == contract_row.company_id, ClaimDocument.uploaded_at >= midnight),
        quota=program_config().evidence_quota,
    )


def _store_documents(uow: UnitOfWork, claim_row: Claim, uploads: list[Upload]) -> None:
    for upload in uploads:
        claim_row.documents.append(
            ClaimDocument(
                id=new_id(), kind=upload.kind, filename=upload.filename, content_type=upload.content_type,
                size=len(upload.content), sha256=hashlib.sha256(upload.content).hexdigest(),
                content=upload.content, uploaded_at=uow.now(),
            )
        )


def file_claim(
    uow: UnitOfWork,
    contract_id: str,
    company_id: str | None,
    *,
    kind: domain.LossKind,
    amount_cents: int,
    period: domain.MonthPeriod | None,
    description: str,
    uploads: list[Upload],
) -> Claim:
    row, contract, _ = load_aggregate(uow, contract_id, company_id, lock=True)
    now = uow.now()
    claim = contract.file_claim(
        claim_id=new_id(), kind=kind, amount_cents=amount_cents, period=period, description=description,
        evidence=[u.info for u in uploads], at=now, grace_days=program_config().claim_grace_period_days,
    )
    check_evidence_quota(uow, row, uploads)
    claim_row = Claim(
        id=claim.id, contract_id=row.id, company_id=row.company_id, household_id=row.household_id,
        kind=claim.kind.value, amount_cents=claim.amount_cents, description=claim.description,
        period_first=str(period.first) if period else None, period_last=str(period.last) if period else None,
        status=claim.status.value, submitted_at=now, first_submitted_at=now,
    )
    _store_documents(uow, claim_row, uploads)
    uow.session.add(claim_row)
    uow.session.flush()
    uow.audit("claim", claim.id, "submitted", to_state=claim.status.value,
              detail={"contract_id": row.id, "kind": claim.kind.value, "amount_cents": claim.amount_cents})
    _publish(uow, contract)
    return claim_row


def get_claim(uow: UnitOfWork, claim_id: str, company_id: str | None) -> Claim:
    return _visible(uow.session.get(Claim, claim_id), company_id, "claim")


def _claim_aggregate(uow: UnitOfWork, claim_id: str, company_id: str | None):
    claim_row = get_claim(uow, claim_id, company_id)
    row, contract, rows = load_aggregate(uow, claim_row.contract_id, None, lock=True)
    # after the lock: the claim row as committed by whoever held the lock before us
    uow.session.refresh(rows[claim_id])
    contract.claims = [repository.claim_to_domain(r) for r in rows.values()]
    return rows[claim_id], row, contract


def _save_claim(uow: UnitOfWork, claim_row: Claim, contract: domain.GuaranteeContract, action: str,
                before: str, detail: dict[str, Any] | None = None) -> None:
    repository.claim_into_row(contract.claim(claim_row.id), claim_row)
    uow.audit("claim", claim_row.id, action, from_state=before, to_state=claim_row.status, detail=detail)
    _publish(uow, contract)


def decide_claim(uow: UnitOfWork, claim_id: str, decision: domain.Decision, *, approved_cents: int | None,
                 reason: str | None) -> Claim:
    claim_row, _, contract = _claim_aggregate(uow, claim_id, None)
    before = claim_row.status
    claim = contract.decide_claim(claim_id, decision, by=uow.actor, at=uow.now(),
                                  approved_cents=approved_cents, reason=reason)
    _save_claim(uow, claim_row, contract, f"decided_{decision.value}", before,
                {"approved_cents": claim.approved_cents})  # the reason stays on the claim, encrypted
    if decision is not domain.Decision.RETURN:
        elapsed = (claim.decided_at - claim_row.first_submitted_at).total_seconds()
        CLAIM_DECISION_SECONDS.observe(max(elapsed, 0.0))
    return claim_row


def record_payout(uow: UnitOfWork, claim_id: str, reference: str) -> Claim:
    claim_row, _, contract = _claim_aggregate(uow, claim_id, None)
    before = claim_row.status
    contract.record_payout(claim_id, by=uow.actor, at=uow.now(), reference=reference)
    _save_claim(uow, claim_row, contract, "paid", before, {"reference": reference.strip(),
                                                         "amount_cents": claim_row.approved_cents})
    return claim_row


def resubmit_claim(uow: UnitOfWork, claim_id: str, company_id: str | None, *, amount_cents: int | None,
                   description: str | None, uploads: list[Upload]) -> Claim:
    claim_row, row, contract = _claim_aggregate(uow, claim_id, company_id)
    before = claim_row.status
    contract.resubmit_claim(claim_id, amount_cents=amount_cents, description=description, at=uow.now(),
                            grace_days=program_config().claim_grace_period_days,
                            evidence=[u.info for u in uploads])
    check_evidence_quota(uow, row, uploads)
    _store_documents(uow, claim_row, uploads)
    _save_claim(uow, claim_row, contract, "resubmitted", before, {"amount_cents": contract.claim(claim_id).amount_cents})
    return claim_row


def withdraw_claim(uow: UnitOfWork, claim_id: str, company_id: str | None) -> Claim:
    claim_row, _, contract = _claim_aggregate(uow, claim_id, company_id)
    before = claim_row.status
    contract.withdraw_claim(claim_id)
    claim_row.withdrawn_at = uow.now()
    _save_claim(uow, claim_row, contract, "withdrawn", before)
    return claim_row


# --------------------------------------------------------------------------- incidents


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
