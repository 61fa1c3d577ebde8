"""Use cases of claims: file, decide, pay, resubmit and withdraw, with the evidence they carry.

Claims are checked against each other (cap, overlap), so each use case works on the contract
aggregate, its row locked.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from prometheus_client import Histogram
from sqlalchemy import func, select

from servicekit.clock import BERLIN, berlin_date
from servicekit.db import UnitOfWork

from contracts import config, domain, repository
from contracts.domain.evidence import EvidenceInfo, EvidenceKind, EvidenceUsage, check_quota
from contracts.models import Claim, ClaimDocument, Company, Contract, new_id

from .contracts import load_aggregate
from .shared import visible

DAY = 86_400
# Prometheus wants base units: seconds, with buckets at the day marks finance is measured by.
CLAIM_DECISION_SECONDS = Histogram(
    "contracts_claim_decision_seconds",
    "Time from a claim's first submission to finance's approval or rejection",
    buckets=tuple(d * DAY for d in (1, 3, 7, 14, 21, 30, 45, 60, 90, 180)),
)


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
    today = berlin_date(uow.now())
    midnight = datetime(today.year, today.month, today.day, tzinfo=BERLIN)
    check_quota(
        [u.info for u in uploads],
        contract=_usage(session, Claim.contract_id == contract_row.id),
        company_today=_usage(session, Claim.company_id == contract_row.company_id, ClaimDocument.uploaded_at >= midnight),
        quota=config.program_config().evidence_quota,
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
        evidence=[u.info for u in uploads], at=now, grace_days=config.program_config().claim_grace_period_days,
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
    uow.publish_recorded(contract)
    return claim_row


def get_claim(uow: UnitOfWork, claim_id: str, company_id: str | None) -> Claim:
    return visible(uow.session.get(Claim, claim_id), company_id, "claim")


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
    uow.publish_recorded(contract)


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
                            grace_days=config.program_config().claim_grace_period_days,
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
