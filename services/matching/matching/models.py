"""Matching's tables (SQLAlchemy 2 typed models). Schema changes go through Alembic migrations."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Integer, String
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

    @property
    def size(self) -> int:
        return self.adults + self.children
