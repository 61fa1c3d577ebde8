"""Read side: presenting contracts and computing per-company figures with few queries."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any, Iterable

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from contracts import domain
from contracts.config import ProgramConfig
from contracts.documents import CapLine, ContractDocument, Signature, StatementCap, StatementClaim, StatementDocument
from contracts.domain.claims import DECIDED_FOR_PAYOUT, OPEN
from contracts.models import Claim, Company, Contract, FlatOffer, Incident, ProposalRecord, Tenancy

COMMITTED = case(
    (Claim.status.in_([s.value for s in OPEN]), Claim.amount_cents),
    (Claim.status.in_([s.value for s in DECIDED_FOR_PAYOUT | {domain.ClaimStatus.PAID}]), Claim.approved_cents),
    else_=0,
)


def committed_by_kind(session: Session, contract_ids: Iterable[str]) -> dict[str, dict[str, int]]:
    ids = list(contract_ids)
    result: dict[str, dict[str, int]] = defaultdict(dict)
    if not ids:
        return result
    rows = session.execute(
        select(Claim.contract_id, Claim.kind, func.coalesce(func.sum(COMMITTED), 0))
        .where(Claim.contract_id.in_(ids))
        .group_by(Claim.contract_id, Claim.kind)
    )
    for contract_id, kind, total in rows:
        result[contract_id][kind] = int(total)
    return result


def with_committed(stmt: Select) -> Select:
    """`stmt` (selecting Contract) with what the contract's claims commit per loss kind as extra
    columns: a read of contracts and their remaining caps is one round trip. A correlated subquery
    per kind (on the claims' contract_id index) runs only for the rows that are returned."""
    return stmt.add_columns(*[
        select(func.coalesce(func.sum(COMMITTED), 0))
        .where(Claim.contract_id == Contract.id, Claim.kind == kind.value)
        .correlate(Contract).scalar_subquery().label(kind.value)
        for kind in domain.LossKind
    ])


def present_with_committed(row: Any) -> dict[str, Any]:
    """A row of `with_committed` (Contract first, then an amount per loss kind) as the API shows it."""
    contract, *amounts = row
    return present_contract(contract, {kind.value: int(a) for kind, a in zip(domain.LossKind, amounts)})


def present_contract(row: Contract, committed: dict[str, int]) -> dict[str, Any]:
    coverage = []
    for cap in row.coverage["caps"]:
        used = sum(committed.get(k, 0) for k in cap["kinds"])
        coverage.append({**cap, "remaining_cents": cap["cap_cents"] - used})

    def signature(at, by):
        return {"signed_at": at, "signed_by": by} if at else None

    return {
        "id": row.id,
        "contract_no": row.contract_no,
        "state": row.state,
        "company_id": row.company_id,
        "household_id": row.household_id,
        "household_reference": row.household_reference,
        "tenancy": row.tenancy,
        "term_start": row.term_start,
        "term_end": row.term_end,
        "covered_until": row.ended_on or row.term_end,
        "monthly_covered_rent_cents": row.monthly_covered_rent_cents,
        "coverage": coverage,
        "config_version": row.config_version,
        "city_signature": signature(row.city_signed_at, row.city_signed_by),
        "company_signature": signature(row.company_signed_at, row.company_signed_by),
        "activated_at": row.activated_at,
        "expiry_notices_sent": row.notices_sent or [],
        "ended_on": row.ended_on,
        "termination_reason": row.termination_reason,
        "termination_note": row.termination_note,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


def present_contracts(session: Session, rows: list[Contract]) -> list[dict[str, Any]]:
    committed = committed_by_kind(session, [r.id for r in rows])
    return [present_contract(r, committed.get(r.id, {})) for r in rows]


def _year_bounds(year: int) -> tuple[datetime, datetime]:
    start = datetime.combine(date(year, 1, 1), time(), tzinfo=domain.BERLIN)
    end = datetime.combine(date(year + 1, 1, 1), time(), tzinfo=domain.BERLIN)
    return start, end


def track_record(session: Session, company: Company, year: int) -> dict[str, Any]:
    """The figures a programme lead reports per company and year (proposal and flat figures come
    from matching's events; everything else from this service's own rows)."""
    start, end = _year_bounds(year)
    cid = company.id

    def count(stmt) -> int:
        return int(session.scalar(stmt) or 0)

    flats = count(select(func.count()).select_from(FlatOffer).where(
        FlatOffer.company_id == cid, FlatOffer.offered_at >= start, FlatOffer.offered_at < end))
    proposals = select(func.count()).select_from(ProposalRecord).where(
        ProposalRecord.company_id == cid, ProposalRecord.created_at >= start, ProposalRecord.created_at < end)
    contract_states = dict(session.execute(
        select(Contract.state, func.count()).where(Contract.company_id == cid).group_by(Contract.state)).all())
    claims_in_year = (Claim.company_id == cid, Claim.first_submitted_at >= start, Claim.first_submitted_at < end)
    claim_states = dict(session.execute(
        select(Claim.status, func.count()).where(*claims_in_year).group_by(Claim.status)).all())
    approved = count(select(func.sum(Claim.approved_cents)).where(
        *claims_in_year, Claim.status.in_(["approved", "partially_approved", "paid"])))
    paid = count(select(func.sum(Claim.approved_cents)).where(
        Claim.company_id == cid, Claim.status == "paid", Claim.paid_at >= start, Claim.paid_at < end))
    quota = company.quota_flats_per_year
    return {
        "company_id": cid,
        "year": year,
        "quota_flats_per_year": quota,
        "flats_offered": flats,
        "quota_met": None if quota is None else flats >= quota,
        "proposals_received": count(proposals),
        "proposals_accepted_by_company": count(proposals.where(ProposalRecord.company_response == "accepted")),
        "proposals_declined_by_company": count(proposals.where(ProposalRecord.company_response == "declined")),
        "proposals_declined_by_household": count(proposals.where(ProposalRecord.household_response == "declined")),
        "proposals_expired": count(proposals.where(ProposalRecord.expired_at.is_not(None))),
        "tenancies_started": count(select(func.count()).select_from(Tenancy).where(
            Tenancy.company_id == cid, Tenancy.lease_start >= date(year, 1, 1), Tenancy.lease_start < date(year + 1, 1, 1))),
        "guarantees_active": int(contract_states.get("active", 0)),
        "guarantees_by_state": {s.value: int(contract_states.get(s.value, 0)) for s in domain.ContractState},
        "claims_filed": sum(int(v) for v in claim_states.values()),
        "claims_by_status": {s.value: int(claim_states.get(s.value, 0)) for s in domain.ClaimStatus},
        "claims_approved_cents": approved,
        "payouts_cents": paid,
        "incidents_reported": count(select(func.count()).select_from(Incident).where(
            Incident.company_id == cid, Incident.reported_at >= start, Incident.reported_at < end)),
    }


def _company_party(company: Company | None) -> tuple[str, str]:
    if company is None:
        return "(Wohnungsunternehmen nicht registriert)", ""
    place = " ".join(p for p in (company.postal_code, company.city) if p)
    return company.name, ", ".join(p for p in (company.street, place) if p)


def _signature(at: datetime | None, by: str | None) -> Signature | None:
    return Signature(at, by or "(nicht erfasst)") if at else None


def contract_document(row: Contract, company: Company | None, config: ProgramConfig,
                      generated_at: datetime, *, show_household: bool = True) -> ContractDocument:
    """What the contract PDF shows, from the contract, its tenancy, the company and the programme
    configuration (missing data is named as missing rather than left blank, so a reader sees what
    the city was not told). The PDF is rendered on every request, so once the household's data is
    erased it no longer names them; a reader whose role does not need the household (finance) gets
    the document without it. Caps are the contract's own copy; what remains of them is the
    account statement's (`statement_document`)."""
    tenancy = row.tenancy
    missing = "(nicht übermittelt)"
    erased = "(gelöscht)"
    household_name = tenancy.household_name or (erased if row.personal_data_erased_at else missing)
    street = tenancy.street or (erased if row.contact_erased_at or row.personal_data_erased_at else missing)
    reference = tenancy.household_reference
    if not show_household:
        household_name, street, reference = "(für diese Rolle nicht sichtbar)", "(für diese Rolle nicht sichtbar)", None
    company_name, company_address = _company_party(company)
    return ContractDocument(
        contract_no=row.contract_no,
        state=row.state,
        company_name=company_name,
        company_address=company_address,
        household_name=household_name,
        household_reference=reference,
        flat_street=street,
        flat_postal_code=tenancy.postal_code or "",
        flat_city=tenancy.city or config.guarantor.seat,
        flat_district=tenancy.district,
        lease_start=tenancy.lease_start,
        lease_unlimited=tenancy.lease_unlimited,
        cold_rent_cents=tenancy.cold_rent_cents,
        service_charges_cents=tenancy.service_charges_cents,
        heating_cents=tenancy.heating_cents,
        term_start=row.term_start,
        term_end=row.term_end,
        caps=tuple(CapLine(c["name"], tuple(c["kinds"]), c["cap_cents"]) for c in row.coverage["caps"]),
        city_signature=_signature(row.city_signed_at, row.city_signed_by),
        company_signature=_signature(row.company_signed_at, row.company_signed_by),
        generated_at=generated_at,
        # the term the contract was made with (its end is the day before the anniversary), not today's configuration
        term_years=(row.term_end + timedelta(days=1)).year - row.term_start.year,
        claim_grace_period_days=config.claim_grace_period_days,
        expiry_notice_days=config.expiry_notice_days,
        config_version=row.config_version,
        guarantor=config.guarantor,
        ended_on=row.ended_on,
        termination_reason=row.termination_reason,
    )


def _month(value: str) -> str:
    year, month = value.split("-")
    return f"{month}/{year}"


def statement_document(session: Session, row: Contract, company: Company | None, config: ProgramConfig,
                       generated_at: datetime) -> StatementDocument:
    """The contract's account: per cap what is filed, approved, paid and what remains, and every
    claim with its figures. No household name and no claim text, so any reader of the contract may
    have it."""
    claims = list(session.scalars(
        select(Claim).where(Claim.contract_id == row.id).order_by(Claim.first_submitted_at, Claim.id)))
    open_states = {s.value for s in OPEN}
    approved_states = {s.value for s in DECIDED_FOR_PAYOUT}
    caps = []
    for cap in row.coverage["caps"]:
        mine = [c for c in claims if c.kind in cap["kinds"]]
        caps.append(StatementCap(
            name=cap["name"], kinds=tuple(cap["kinds"]), cap_cents=cap["cap_cents"],
            open_cents=sum(c.amount_cents for c in mine if c.status in open_states),
            approved_cents=sum(c.approved_cents or 0 for c in mine if c.status in approved_states),
            paid_cents=sum(c.approved_cents or 0 for c in mine if c.status == domain.ClaimStatus.PAID.value),
        ))
    lines = tuple(StatementClaim(
        submitted_on=domain.berlin_date(c.first_submitted_at),
        kind=c.kind,
        period=(f"{_month(c.period_first)}–{_month(c.period_last)}" if c.period_first and c.period_last else None),
        amount_cents=c.amount_cents,
        status=c.status,
        approved_cents=c.approved_cents,
        paid_on=domain.berlin_date(c.paid_at) if c.paid_at else None,
        payout_reference=c.payout_reference,
    ) for c in claims)
    return StatementDocument(
        contract_no=row.contract_no,
        state=row.state,
        company_name=_company_party(company)[0],
        term_start=row.term_start,
        term_end=row.term_end,
        caps=tuple(caps),
        claims=lines,
        generated_at=generated_at,
        claim_grace_period_days=config.claim_grace_period_days,
        guarantor=config.guarantor,
        ended_on=row.ended_on,
    )
