"""Contracts' tables (SQLAlchemy 2 typed models). Schema changes go through Alembic migrations.

The rows are persistence only; the rules live in `contracts.domain` and `contracts.repository`
maps between the two.

Every column about a household says so (`personal(...)`), which drives erasure, the access export,
log redaction and the records of processing; free text people typed about a household is stored
encrypted (`EncryptedText`). A company's own contact data is not a household's and says why.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Date, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from servicekit.db import UTCDateTime
from servicekit.privacy import CONTACT, FREE_TEXT, IDENTIFYING, SOCIAL, EncryptedText, not_personal, personal


class Base(DeclarativeBase):
    pass


def new_id() -> str:
    return str(uuid.uuid4())


class Company(Base):
    """A housing company (Wohnungsunternehmen); its id is the `company_id` its tokens carry."""

    __tablename__ = "companies"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200), unique=True, info=not_personal("a housing company's name"))
    email: Mapped[str] = mapped_column(String(254), info=not_personal("the company's business address for contract mail"))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    street: Mapped[str | None] = mapped_column(String(200), info=not_personal("the company's office address"))
    postal_code: Mapped[str | None] = mapped_column(String(10), info=not_personal("the company's office address"))
    city: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(40), info=not_personal("the company's business line"))
    # Flats the company committed to offer per calendar year (Kontingent); None = no commitment.
    quota_flats_per_year: Mapped[int | None] = mapped_column(Integer)


class Tenancy(Base):
    """The unlimited private lease between company and household, as matching reported it."""

    __tablename__ = "tenancies"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    proposal_id: Mapped[str] = mapped_column(String(36), unique=True)
    household_id: Mapped[str] = mapped_column(String(36), index=True)
    company_id: Mapped[str] = mapped_column(String(36), index=True)
    flat_id: Mapped[str] = mapped_column(String(36))
    lease_start: Mapped[date] = mapped_column(Date)
    cold_rent_cents: Mapped[int] = mapped_column(Integer)
    service_charges_cents: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    heating_cents: Mapped[int] = mapped_column(Integer, default=0)
    # Whether the lease is unlimited (unbefristet), as `matching.tenancy.agreed` says; None for a
    # tenancy recorded before matching reported it: the contract then says it was not reported.
    lease_unlimited: Mapped[bool | None] = mapped_column(
        Boolean, nullable=True, info=not_personal("a term of the lease, nothing about the person"))
    # The flat's address is where the household lives: its street goes with the person, while
    # postcode and district stay as coarse, pseudonymous figures for the programme's statistics.
    street: Mapped[str | None] = mapped_column(String(200), info=personal(CONTACT, label="Straße der Mietwohnung"))
    postal_code: Mapped[str | None] = mapped_column(
        String(10), info=personal(CONTACT, keep=True, label="Postleitzahl der Mietwohnung"))
    city: Mapped[str | None] = mapped_column(String(100))
    district: Mapped[str | None] = mapped_column(
        String(100), info=personal(CONTACT, keep=True, label="Stadtbezirk der Mietwohnung"))
    household_name: Mapped[str | None] = mapped_column(String(200), info=personal(IDENTIFYING, label="Name des Haushalts"))
    household_email: Mapped[str | None] = mapped_column(String(254), info=personal(CONTACT, label="E-Mail des Haushalts"))
    household_phone: Mapped[str | None] = mapped_column(String(40), info=personal(CONTACT, label="Telefon des Haushalts"))
    household_size: Mapped[int | None] = mapped_column(Integer, info=personal(SOCIAL, keep=True, label="Haushaltsgröße"))
    household_reference: Mapped[str | None] = mapped_column(
        String(64), index=True, info=personal(IDENTIFYING, label="Aktenzeichen des Haushalts (Zuweisung)"))


class ContractCounter(Base):
    """The last contract number handed out per year. Incremented in the transaction that creates the
    contract, so the row lock serialises creators and a rolled-back creation leaves no gap."""

    __tablename__ = "contract_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer)


class Contract(Base):
    __tablename__ = "contracts"
    __table_args__ = (Index("ix_contracts_company_state", "company_id", "state"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    contract_no: Mapped[str] = mapped_column(String(20), unique=True)
    tenancy_id: Mapped[str] = mapped_column(ForeignKey("tenancies.id"), unique=True)
    company_id: Mapped[str] = mapped_column(String(36), index=True)
    household_id: Mapped[str] = mapped_column(String(36), index=True)
    household_reference: Mapped[str | None] = mapped_column(
        String(64), index=True, info=personal(IDENTIFYING, label="Aktenzeichen des Haushalts (Zuweisung)"))
    term_start: Mapped[date] = mapped_column(Date)
    term_end: Mapped[date] = mapped_column(Date, index=True)
    # caps copied from configuration at creation
    coverage: Mapped[dict[str, Any]] = mapped_column(JSON, info=not_personal("the programme's caps per kind of loss"))
    config_version: Mapped[str] = mapped_column(String(40))
    monthly_covered_rent_cents: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20), index=True)
    city_signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    city_signed_by: Mapped[str | None] = mapped_column(String(120))
    company_signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    company_signed_by: Mapped[str | None] = mapped_column(String(120))
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notices_sent: Mapped[list[int]] = mapped_column(JSON, default=list, info=not_personal("days-before marks of expiry notices"))
    ended_on: Mapped[date | None] = mapped_column(Date)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A closed list (move_out, notice, eviction, other): why the guarantee ended stays with the
    # financial record, which no longer names the household once it is erased.
    termination_reason: Mapped[str | None] = mapped_column(
        String(20), info=personal(SOCIAL, keep=True, label="Beendigungsgrund (Kategorie)"))
    termination_note: Mapped[str | None] = mapped_column(
        EncryptedText, info=personal(FREE_TEXT, label="Notiz zur Beendigung"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Retention: contact data goes after the claim grace period, the rest after the period for
    # financial records (or on an erasure request); these mark when that happened.
    contact_erased_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, info=not_personal("when the household's contact data was erased, not the data"))
    personal_data_erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    tenancy: Mapped[Tenancy] = relationship(lazy="joined")


class Claim(Base):
    __tablename__ = "claims"
    __table_args__ = (Index("ix_claims_company_status", "company_id", "status"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    contract_id: Mapped[str] = mapped_column(ForeignKey("contracts.id"), index=True)
    company_id: Mapped[str] = mapped_column(String(36), index=True)
    household_id: Mapped[str] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(40))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    period_first: Mapped[str | None] = mapped_column(String(7))  # YYYY-MM
    period_last: Mapped[str | None] = mapped_column(String(7))
    description: Mapped[str] = mapped_column(EncryptedText, info=personal(FREE_TEXT, label="Begründung der Inanspruchnahme"))
    status: Mapped[str] = mapped_column(String(20), index=True)
    approved_cents: Mapped[int | None] = mapped_column(BigInteger)
    decision_reason: Mapped[str | None] = mapped_column(
        EncryptedText, info=personal(FREE_TEXT, label="Begründung der Entscheidung"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    first_submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(120))
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # when it was withdrawn: its evidence is emptied RETENTION_WITHDRAWN_EVIDENCE_DAYS later
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_by: Mapped[str | None] = mapped_column(String(120))
    payout_reference: Mapped[str | None] = mapped_column(String(120))

    documents: Mapped[list[ClaimDocument]] = relationship(
        order_by="ClaimDocument.uploaded_at", cascade="all, delete-orphan", lazy="selectin"
    )


class ClaimDocument(Base):
    """Evidence stored with a claim (rent ledger, invoices); the bytes stay in the database so a
    claim and its evidence commit together."""

    __tablename__ = "claim_documents"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    claim_id: Mapped[str] = mapped_column(ForeignKey("claims.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    filename: Mapped[str] = mapped_column(String(200), info=personal(IDENTIFYING, label="Dateiname des Belegs"))
    content_type: Mapped[str] = mapped_column(String(60))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    # Rent ledgers and invoices name the tenant: on erasure the bytes are emptied, while kind, size
    # and hash stay as the record that (and which) evidence was submitted.
    content: Mapped[bytes] = mapped_column(
        LargeBinary, deferred=True, info=personal(FREE_TEXT, erase=b"", label="Inhalt des Belegs (Mietkonto, Rechnung)"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Incident(Base):
    __tablename__ = "incidents"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    contract_id: Mapped[str] = mapped_column(ForeignKey("contracts.id"), index=True)
    company_id: Mapped[str] = mapped_column(String(36), index=True)
    household_id: Mapped[str] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(30))
    severity: Mapped[str] = mapped_column(String(10))
    description: Mapped[str] = mapped_column(EncryptedText, info=personal(FREE_TEXT, label="Beschreibung des Vorfalls"))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    reported_by: Mapped[str] = mapped_column(String(120))


class FlatOffer(Base):
    """A flat a company offered into matching (from matching.flat.offered), for the track record."""

    __tablename__ = "flat_offers"

    flat_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(String(36), index=True)
    offered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ProposalRecord(Base):
    """A match proposal to one of a company's flats and how it ended, for the track record."""

    __tablename__ = "proposal_records"

    proposal_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    company_id: Mapped[str | None] = mapped_column(String(36), index=True)
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    company_response: Mapped[str | None] = mapped_column(String(20))  # accepted / declined
    # accepted / declined, with no link to the household (the record carries no household id)
    household_response: Mapped[str | None] = mapped_column(String(20))
    expired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class IdempotencyKey(Base):
    """A POST answered under an `Idempotency-Key`: the same key and request replay this response."""

    __tablename__ = "idempotency_keys"

    scope: Mapped[str] = mapped_column(String(120), primary_key=True)  # the caller's company or subject
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    # the answer holds the claim's or incident's text: kept only for the retry window, deleted on erasure
    body: Mapped[dict[str, Any]] = mapped_column(
        JSON, info=personal(FREE_TEXT, label="Gespeicherte Antwort für Wiederholungen"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class ErasureRequest(Base):
    """A household erasure matching asked for (`matching.household.erasure_requested`) and where it
    stands here: `postponed` while a legal hold (an open claim) keeps the data, then `erased`."""

    __tablename__ = "erasure_requests"

    request_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    household_id: Mapped[str] = mapped_column(String(36), index=True)
    reason: Mapped[str] = mapped_column(String(20), info=not_personal("request or retention: which path asked, nothing about the person"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), index=True)  # postponed / erased
    hold: Mapped[str | None] = mapped_column(String(40))  # e.g. open_claim
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
