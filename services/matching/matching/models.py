"""Matching's tables (SQLAlchemy 2 typed models). Schema changes go through Alembic migrations."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from servicekit.db import UTCDateTime


class Base(DeclarativeBase):
    pass


def new_id() -> str:
    return str(uuid.uuid4())


class Household(Base):
    """A household referred by the social office. Name and contact are personal data: they never
    reach logs or metrics, and companies see them only after accepting a proposal."""

    __tablename__ = "households"
    __table_args__ = (Index("ix_households_status", "status"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    referral_no: Mapped[str] = mapped_column(String(40), unique=True)
    adults: Mapped[int] = mapped_column(Integer)
    children: Mapped[int] = mapped_column(Integer)
    urgency: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="waiting")
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    referred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    needs_barrier_free: Mapped[bool] = mapped_column(Boolean, default=False)
    needs_wheelchair: Mapped[bool] = mapped_column(Boolean, default=False)
    needs_ground_floor_or_lift: Mapped[bool] = mapped_column(Boolean, default=False)
    has_pets: Mapped[bool] = mapped_column(Boolean, default=False)
    preferred_districts: Mapped[list[str]] = mapped_column(JSON, default=list)
    excluded_districts: Mapped[list[str]] = mapped_column(JSON, default=list)
    rent_limit_override_cents: Mapped[int | None] = mapped_column(Integer)
    rent_limit_override_reason: Mapped[str | None] = mapped_column(Text)
    counted_declines: Mapped[int] = mapped_column(Integer, default=0)
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False)

    @property
    def size(self) -> int:
        return self.adults + self.children


class Flat(Base):
    __tablename__ = "flats"
    __table_args__ = (Index("ix_flats_company_status", "company_id", "status"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    company_id: Mapped[str] = mapped_column(String(36))
    unit_ref: Mapped[str | None] = mapped_column(String(80))
    street: Mapped[str] = mapped_column(String(200))
    postal_code: Mapped[str] = mapped_column(String(5))
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
    status: Mapped[str] = mapped_column(String(20), default="offered")
    offered_at: Mapped[datetime] = mapped_column(UTCDateTime)

    @property
    def gross_rent_cents(self) -> int:
        return self.cold_rent_cents + self.service_charges_cents + self.heating_cents


class MatchingRun(Base):
    __tablename__ = "matching_runs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
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


class Proposal(Base):
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
    status: Mapped[str] = mapped_column(String(20), default="open")
    company_answer: Mapped[str | None] = mapped_column(String(20))
    household_answer: Mapped[str | None] = mapped_column(String(20))
    score: Mapped[float] = mapped_column(Float)
    score_breakdown: Mapped[dict[str, Any]] = mapped_column(JSON)
    rules_passed: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    respond_by: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decline_party: Mapped[str | None] = mapped_column(String(20))
    decline_reason: Mapped[str | None] = mapped_column(String(60))
    decline_text: Mapped[str | None] = mapped_column(Text)
    lease: Mapped[dict[str, Any] | None] = mapped_column(JSON)
