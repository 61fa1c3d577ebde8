"""Notifications' tables (SQLAlchemy 2 typed models). Schema changes go through Alembic migrations."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from servicekit.db import UTCDateTime


class Base(DeclarativeBase):
    pass


def new_id() -> str:
    return str(uuid.uuid4())


class Notification(Base):
    """One message for one recipient on one channel, caused by one event — never two."""

    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("event_id", "recipient", "channel", name="uq_notification_once"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    event_id: Mapped[str] = mapped_column(String(36))
    event_type: Mapped[str] = mapped_column(String(120), index=True)
    recipient: Mapped[str] = mapped_column(String(120), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20), default="delivered")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
