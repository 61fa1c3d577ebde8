"""Matching's tables (SQLAlchemy 2 typed models). Schema changes go through Alembic migrations.

Each aggregate's rules are mixed in from `matching.domain` (FlatRules, ...): the row is the aggregate.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from servicekit.db import UTCDateTime
from servicekit.privacy import CONTACT, FREE_TEXT, IDENTIFYING, SOCIAL, EncryptedText, not_personal, personal

from matching.domain.flat import FlatRules, FlatState
from matching.domain.household import HouseholdRules, HouseholdState
from matching.domain.lifecycle import new_id
from matching.domain.proposal import ProposalRules, ProposalState
from matching.domain.run import RunRules, RunState


class Base(DeclarativeBase):
    pass


class Household(Base, HouseholdRules):
    """A household referred by the social office. Name and contact are personal data: they never
    reach logs or metrics, and companies see them only after accepting a proposal. On erasure only
    the pseudonymous make-up (adults, children) stays, for the program's statistics."""

    __tablename__ = "households"
    __table_args__ = (Index("ix_households_status", "status"),
                      Index("ix_households_status_changed", "status", "status_changed_at"))

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    # NULL once erased: the social office's file number would identify the household again.
    referral_no: Mapped[str | None] = mapped_column(
        String(40), unique=True, info=personal(IDENTIFYING, label="Aktenzeichen der Zuweisung"))
    adults: Mapped[int] = mapped_column(Integer, info=personal(SOCIAL, keep=True, label="Anzahl Erwachsene"))
    children: Mapped[int] = mapped_column(Integer, info=personal(SOCIAL, keep=True, label="Anzahl Kinder"))
    urgency: Mapped[str] = mapped_column(String(40), info=personal(SOCIAL, label="Dringlichkeit (Zuweisungsgrund)"))
    status: Mapped[str] = mapped_column(String(20), default=HouseholdState.WAITING.value)
    name: Mapped[str] = mapped_column(String(200), info=personal(IDENTIFYING, label="Name"))
    email: Mapped[str | None] = mapped_column(String(254), info=personal(CONTACT, label="E-Mail"))
    phone: Mapped[str | None] = mapped_column(String(40), info=personal(CONTACT, label="Telefon"))
    referred_at: Mapped[datetime] = mapped_column(
        UTCDateTime, info=personal(SOCIAL, keep=True, label="Zeitpunkt der Zuweisung"))
    needs_barrier_free: Mapped[bool] = mapped_column(
        Boolean, default=False, info=personal(SOCIAL, label="Bedarf: barrierefrei"))
    needs_wheelchair: Mapped[bool] = mapped_column(
        Boolean, default=False, info=personal(SOCIAL, label="Bedarf: rollstuhlgerecht"))
    needs_ground_floor_or_lift: Mapped[bool] = mapped_column(
        Boolean, default=False, info=personal(SOCIAL, label="Bedarf: Erdgeschoss oder Aufzug"))
    has_pets: Mapped[bool] = mapped_column(Boolean, default=False, info=personal(SOCIAL, label="Haustiere"))
    # Excluded districts can tell where someone must not live (e.g. protection from violence).
    preferred_districts: Mapped[list[str]] = mapped_column(
        JSON, default=list, info=personal(SOCIAL, erase=[], label="Bevorzugte Stadtbezirke"))
    excluded_districts: Mapped[list[str]] = mapped_column(
        JSON, default=list, info=personal(SOCIAL, erase=[], label="Ausgeschlossene Stadtbezirke"))
    rent_limit_override_cents: Mapped[int | None] = mapped_column(
        Integer, info=not_personal("an amount; why it was granted is in rent_limit_override_reason"))
    rent_limit_override_reason: Mapped[str | None] = mapped_column(
        EncryptedText, info=personal(FREE_TEXT, label="Begründung der abweichenden Mietobergrenze"))
    withdrawal_reason: Mapped[str | None] = mapped_column(
        EncryptedText, info=personal(FREE_TEXT, label="Grund der Rücknahme der Zuweisung"))
    counted_declines: Mapped[int] = mapped_column(Integer, default=0)
    needs_review: Mapped[bool] = mapped_column(
        Boolean, default=False, info=personal(SOCIAL, label="Zur Prüfung durch das Sozialamt markiert"))
    # When the status last changed: retention periods run from a withdrawal or leaving the program.
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Flat(Base, FlatRules):
    __tablename__ = "flats"
    __table_args__ = (Index("ix_flats_company_status", "company_id", "status"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    company_id: Mapped[str] = mapped_column(String(36))
    unit_ref: Mapped[str | None] = mapped_column(String(80))
    street: Mapped[str] = mapped_column(String(200), info=not_personal("the offered flat's address, the company's data"))
    postal_code: Mapped[str] = mapped_column(String(5), info=not_personal("the offered flat's postal code"))
    city: Mapped[str] = mapped_column(String(80))
    district: Mapped[str] = mapped_column(String(40))
    rooms: Mapped[float] = mapped_column(Float)
    area_m2: Mapped[float] = mapped_column(Float)
    floor: Mapped[int] = mapped_column(Integer)
    lift: Mapped[bool] = mapped_column(Boolean, default=False)
    barrier_free: Mapped[bool] = mapped_column(Boolean, default=False)
    wheelchair_accessible: Mapped[bool] = mapped_column(Boolean, default=False)
    cold_rent_cents: Mapped[int] = mapped_column(Integer)
    service_charges_cents: Mapped[int] = mapped_column(Integer)
    heating_cents: Mapped[int] = mapped_column(Integer)
    available_from: Mapped[date] = mapped_column(Date)
    pets_allowed: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default=FlatState.OFFERED.value)
    offered_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MatchingRun(Base, RunRules):
    """One global assignment run: `pending` from the request until the worker executed it, then
    `completed` (figures filled) or `failed`. While pending, `active_slot` is 1: its unique
    constraint is what keeps runs to one at a time across web processes and replicas."""

    __tablename__ = "matching_runs"
    __table_args__ = (UniqueConstraint("active_slot", name="uq_matching_runs_active_slot"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    status: Mapped[str] = mapped_column(String(20), default=RunState.COMPLETED.value,
                                        server_default=RunState.COMPLETED.value)
    active_slot: Mapped[int | None] = mapped_column(Integer)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_by: Mapped[str] = mapped_column(String(200))
    households_considered: Mapped[int] = mapped_column(Integer)
    flats_considered: Mapped[int] = mapped_column(Integer)
    eligible_pairs: Mapped[int] = mapped_column(Integer)
    proposals_created: Mapped[int] = mapped_column(Integer)
    total_score: Mapped[float] = mapped_column(Float)
    duration_ms: Mapped[int] = mapped_column(Integer)
    certified_optimal: Mapped[bool] = mapped_column(Boolean)
    # No assignment can score more than this (LP duality); equals total_score when certified.
    score_upper_bound: Mapped[float | None] = mapped_column(Float)


class Proposal(Base, ProposalRules):
    """A proposed (flat, household) pair. The unique constraint is what makes "never the same flat
    twice to a household" hold even for concurrent runs."""

    __tablename__ = "proposals"
    __table_args__ = (
        UniqueConstraint("household_id", "flat_id", name="uq_proposals_household_flat"),
        Index("ix_proposals_company_status", "company_id", "status"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    run_id: Mapped[str | None] = mapped_column(ForeignKey("matching_runs.id"))
    flat_id: Mapped[str] = mapped_column(ForeignKey("flats.id"))
    household_id: Mapped[str] = mapped_column(ForeignKey("households.id"))
    company_id: Mapped[str] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(20), default=ProposalState.OPEN.value)
    company_answer: Mapped[str | None] = mapped_column(String(20))
    household_answer: Mapped[str | None] = mapped_column(String(20))
    score: Mapped[float] = mapped_column(Float)
    # Scores and rule results stay after erasure: the allocation must remain explainable, and
    # without name or file number they no longer point to a person.
    score_breakdown: Mapped[dict[str, Any]] = mapped_column(
        JSON, info=personal(SOCIAL, keep=True, label="Punkte je Kriterium"))
    rules_passed: Mapped[list[dict[str, Any]]] = mapped_column(
        JSON, info=personal(SOCIAL, keep=True, label="Geprüfte Regeln"))
    # Erasure keeps the flat and policy parts and cuts the household part down to its size
    # (matching.erasure.pseudonymous_snapshot), so the column itself is marked keep.
    snapshot: Mapped[dict[str, Any]] = mapped_column(
        JSON, info=personal(SOCIAL, keep=True, label="Eingaben zum Zeitpunkt des Vorschlags (Haushaltsteil wird gelöscht)"))
    respond_by: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decline_party: Mapped[str | None] = mapped_column(String(20))
    decline_reason: Mapped[str | None] = mapped_column(
        String(60), info=personal(SOCIAL, keep=True, label="Ablehnungsgrund (Schlüssel aus der Liste)"))
    decline_text: Mapped[str | None] = mapped_column(EncryptedText, info=personal(FREE_TEXT, label="Ablehnungstext"))
    lease: Mapped[dict[str, Any] | None] = mapped_column(
        JSON, info=not_personal("the lease terms: dates and amounts, no name or contact"))


class ErasureRequest(Base):
    """One household-wide erasure (Art. 17 request or retention), at most one per household; the
    services' answers say where it stands. Kept after the erasure: it documents that it happened."""

    __tablename__ = "erasure_requests"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    household_id: Mapped[str] = mapped_column(String(36), unique=True)
    reason: Mapped[str] = mapped_column(String(20), info=not_personal("request or retention"))
    note: Mapped[str | None] = mapped_column(EncryptedText, info=personal(FREE_TEXT, label="Vermerk zum Löschantrag"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    requested_by: Mapped[str] = mapped_column(String(120))


class ErasureAnswer(Base):
    """A service's answer to an erasure request: erased, or postponed by a legal hold."""

    __tablename__ = "erasure_answers"

    request_id: Mapped[str] = mapped_column(ForeignKey("erasure_requests.id"), primary_key=True)
    service: Mapped[str] = mapped_column(String(40), primary_key=True)
    status: Mapped[str] = mapped_column(String(20))
    hold: Mapped[str | None] = mapped_column(String(200), info=not_personal("the kind of legal hold, e.g. open_claim"))
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RegisteredCompany(Base):
    """A housing company contracts registered (contracts.company.registered): only these offer flats.
    Matching keeps the id alone; name and address stay with contracts, which owns them."""

    __tablename__ = "registered_companies"

    company_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, info=not_personal("when matching learned of the company"))
