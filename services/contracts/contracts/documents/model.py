"""What the documents show: plain data, filled by `contracts.queries`, rendered by `documents.pdf`.

The contract document holds the agreed terms only (parties, tenancy, term, caps, deadlines,
signatures); what has been claimed and what remains of each cap is the account statement's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from contracts.config import Guarantor

KIND_LABELS = {
    "rent_arrears": "Mietrückstände (Kaltmiete und Nebenkosten)",
    "damage_repairs": "Schäden und Reparaturen während des Mietverhältnisses",
    "renovation_move_out": "Renovierung beim Auszug",
    "legal_eviction": "Rechts- und Räumungskosten",
}
STATE_LABELS = {
    "draft": "Entwurf (noch nicht von beiden Seiten unterzeichnet)",
    "active": "In Kraft",
    "expired": "Abgelaufen",
    "terminated": "Vorzeitig beendet",
}
REASON_LABELS = {
    "move_out": "Auszug des Haushalts",
    "notice": "Kündigung des Mietverhältnisses",
    "eviction": "Räumung",
    "other": "Sonstiger Grund",
}
CLAIM_STATUS_LABELS = {
    "submitted": "eingereicht",
    "returned": "zurückgegeben (Rückfrage)",
    "approved": "anerkannt",
    "partially_approved": "teilweise anerkannt",
    "rejected": "abgelehnt",
    "withdrawn": "zurückgezogen",
    "paid": "ausgezahlt",
}


@dataclass(frozen=True)
class CapLine:
    name: str
    kinds: tuple[str, ...]
    cap_cents: int


@dataclass(frozen=True)
class Signature:
    at: datetime
    by: str  # the signing account's identifier as recorded


@dataclass(frozen=True)
class ContractDocument:
    contract_no: str
    state: str
    company_name: str
    company_address: str
    household_name: str
    household_reference: str | None
    flat_street: str
    flat_postal_code: str
    flat_city: str
    flat_district: str | None
    lease_start: date
    cold_rent_cents: int
    service_charges_cents: int
    heating_cents: int
    term_start: date
    term_end: date
    caps: tuple[CapLine, ...]
    city_signature: Signature | None
    company_signature: Signature | None
    generated_at: datetime
    term_years: int
    claim_grace_period_days: int
    expiry_notice_days: tuple[int, ...]
    config_version: str
    guarantor: Guarantor  # program.json's, so every mention of the city is the configured one
    # The lease as matching reported it; None = not reported (the document then says so).
    lease_unlimited: bool | None = None
    ended_on: date | None = None
    termination_reason: str | None = None
    extra_notes: tuple[str, ...] = ()

    @property
    def covered_until(self) -> date:
        return self.ended_on or self.term_end


@dataclass(frozen=True)
class StatementCap:
    name: str
    kinds: tuple[str, ...]
    cap_cents: int
    open_cents: int  # filed, not yet decided (submitted or returned)
    approved_cents: int  # decided, not yet paid
    paid_cents: int

    @property
    def remaining_cents(self) -> int:
        return self.cap_cents - self.open_cents - self.approved_cents - self.paid_cents


@dataclass(frozen=True)
class StatementClaim:
    submitted_on: date
    kind: str
    period: str | None  # "01/2027–03/2027" for rent arrears
    amount_cents: int
    status: str
    approved_cents: int | None
    paid_on: date | None
    payout_reference: str | None


@dataclass(frozen=True)
class StatementDocument:
    """The account of one contract (Kontoauszug): caps, claims and what remains of each cap."""

    contract_no: str
    state: str
    company_name: str
    term_start: date
    term_end: date
    caps: tuple[StatementCap, ...]
    claims: tuple[StatementClaim, ...]
    generated_at: datetime
    claim_grace_period_days: int
    guarantor: Guarantor
    ended_on: date | None = None

    @property
    def covered_until(self) -> date:
        return self.ended_on or self.term_end
