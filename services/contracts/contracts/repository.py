"""Between rows and the domain: load a contract aggregate (optionally locked), write it back, and
hand out gap-free contract numbers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from contracts import domain
from contracts.domain.evidence import EvidenceInfo, EvidenceKind
from contracts.models import Claim, Contract, ContractCounter, Tenancy


def next_contract_no(session: Session, year: int) -> str:
    """The next number of `year`, taken inside the caller's transaction.

    The upsert locks the year's counter row until the transaction ends: a concurrent creator waits
    and then sees the committed value, and a rolled-back creation gives its number back. That is
    what makes the sequence gap-free (a PostgreSQL SEQUENCE would not be).
    """
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = (
        dialect.insert(ContractCounter)
        .values(year=year, last_value=1)
        .on_conflict_do_update(
            index_elements=[ContractCounter.year], set_={"last_value": ContractCounter.last_value + 1}
        )
        .returning(ContractCounter.last_value)
    )
    return domain.format_contract_no(year, session.execute(stmt).scalar_one())


def get_contract_row(session: Session, contract_id: str, *, lock: bool = False) -> Contract | None:
    stmt = select(Contract).where(Contract.id == contract_id)
    if lock:
        # Claims of one contract are checked against each other (cap, overlap): the row lock makes
        # concurrent filings and decisions on the same contract take turns.
        stmt = stmt.with_for_update(of=Contract)
    return session.scalars(stmt).one_or_none()


def claim_rows(session: Session, contract_id: str) -> list[Claim]:
    return list(session.scalars(select(Claim).where(Claim.contract_id == contract_id).order_by(Claim.first_submitted_at)))


def claim_to_domain(row: Claim) -> domain.Claim:
    period = None
    if row.period_first and row.period_last:
        period = domain.MonthPeriod(domain.Month.parse(row.period_first), domain.Month.parse(row.period_last))
    return domain.Claim(
        id=row.id,
        contract_id=row.contract_id,
        kind=domain.LossKind(row.kind),
        amount_cents=row.amount_cents,
        period=period,
        description=row.description,
        submitted_at=row.submitted_at,
        status=domain.ClaimStatus(row.status),
        approved_cents=row.approved_cents,
        decision_reason=row.decision_reason,
        decided_at=row.decided_at,
        decided_by=row.decided_by,
        paid_at=row.paid_at,
        paid_by=row.paid_by,
        payout_reference=row.payout_reference,
        first_submitted_at=row.first_submitted_at,
        evidence=[EvidenceInfo(EvidenceKind(d.kind), d.filename, d.content_type, d.size) for d in row.documents],
    )


def claim_into_row(claim: domain.Claim, row: Claim) -> None:
    row.amount_cents = claim.amount_cents
    row.description = claim.description
    row.status = claim.status.value
    row.approved_cents = claim.approved_cents
    row.decision_reason = claim.decision_reason
    row.decided_at = claim.decided_at
    row.decided_by = claim.decided_by
    row.paid_at = claim.paid_at
    row.paid_by = claim.paid_by
    row.payout_reference = claim.payout_reference
    row.submitted_at = claim.submitted_at


def to_domain(row: Contract, claims: list[Claim] | None = None) -> domain.GuaranteeContract:
    def signature(at, by):
        return domain.contract.Signature(by=by, at=at) if at else None

    return domain.GuaranteeContract(
        id=row.id,
        contract_no=row.contract_no,
        company_id=row.company_id,
        household_id=row.household_id,
        proposal_id=row.tenancy.proposal_id,
        term=domain.Term(row.term_start, row.term_end),
        coverage=domain.Coverage.from_dict(row.coverage),
        monthly_covered_rent_cents=row.monthly_covered_rent_cents,
        state=domain.ContractState(row.state),
        city_signature=signature(row.city_signed_at, row.city_signed_by),
        company_signature=signature(row.company_signed_at, row.company_signed_by),
        activated_at=row.activated_at,
        notices_sent=set(row.notices_sent or []),
        ended_on=row.ended_on,
        ended_at=row.ended_at,
        termination_reason=domain.TerminationReason(row.termination_reason) if row.termination_reason else None,
        termination_note=row.termination_note,
        claims=[claim_to_domain(c) for c in (claims or [])],
        household_reference=row.household_reference,
    )


def into_row(contract: domain.GuaranteeContract, row: Contract) -> None:
    row.state = contract.state.value
    row.city_signed_at = contract.city_signature.at if contract.city_signature else None
    row.city_signed_by = contract.city_signature.by if contract.city_signature else None
    row.company_signed_at = contract.company_signature.at if contract.company_signature else None
    row.company_signed_by = contract.company_signature.by if contract.company_signature else None
    row.activated_at = contract.activated_at
    row.notices_sent = sorted(contract.notices_sent, reverse=True)
    row.ended_on = contract.ended_on
    row.ended_at = contract.ended_at
    row.termination_reason = contract.termination_reason.value if contract.termination_reason else None
    row.termination_note = contract.termination_note


def new_contract_row(contract: domain.GuaranteeContract, tenancy: Tenancy, *, config_version: str,
                     at: datetime) -> Contract:
    """The row of a contract just created for `tenancy` (caps and configuration version copied)."""
    return Contract(
        id=contract.id,
        contract_no=contract.contract_no,
        tenancy_id=tenancy.id,
        company_id=contract.company_id,
        household_id=contract.household_id,
        household_reference=contract.household_reference,
        term_start=contract.term.start,
        term_end=contract.term.end,
        coverage=contract.coverage.to_dict(),
        config_version=config_version,
        monthly_covered_rent_cents=contract.monthly_covered_rent_cents,
        state=contract.state.value,
        notices_sent=[],
        created_at=at,
        updated_at=at,
    )
