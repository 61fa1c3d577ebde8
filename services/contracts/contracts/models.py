"""Contracts' tables (SQLAlchemy 2 typed models). Schema changes go through Alembic migrations."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Date, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from servicekit.db import UTCDateTime


class Base(DeclarativeBase):
    pass


def new_id() -> str:
    return str(uuid.uuid4())


class Company(Base):
    """A housing company (Wohnungsunternehmen); its id is the `company_id` its tokens carry."""

    __tablename__ = "companies"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    email: Mapped[str] = mapped_column(String(254))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime)


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
