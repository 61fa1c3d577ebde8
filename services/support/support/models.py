"""Support's tables (SQLAlchemy 2 typed models). Schema changes go through Alembic migrations.

Household name, contact and address are personal data: they are kept for the people who work the
case, never put in logs, metrics or the iCalendar feed. Every column about a person says so in its
`info` (servicekit.privacy): that declaration drives log redaction, the access export, erasure and
the records of processing. Free text people typed about a household is encrypted at rest.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from servicekit.db import UTCDateTime
from servicekit.privacy import CONTACT, FREE_TEXT, IDENTIFYING, SOCIAL, EncryptedText, not_personal, personal

from support import config
from support.domain.crisis import CrisisState
from support.domain.lifecycle import AppointmentState, CaseState


class Base(DeclarativeBase):
    pass


def new_id() -> str:
    return str(uuid.uuid4())


class Caseworker(Base):
    """A contact person or social worker of the social office."""

    __tablename__ = "caseworkers"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    # the social office's staff: personal data of employees, not of households (never erased with one)
    name: Mapped[str] = mapped_column(String(200), info=personal(IDENTIFYING, label="Name der Fachkraft"))
    email: Mapped[str] = mapped_column(String(254), unique=True,
                                       info=personal(CONTACT, label="Dienstliche E-Mail der Fachkraft"))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    phone: Mapped[str | None] = mapped_column(String(40), default=None,
                                              info=personal(CONTACT, label="Dienstliche Telefonnummer der Fachkraft"))
    roles: Mapped[list] = mapped_column(JSON, default=lambda: ["contact_person", "social_worker"],
                                        info=not_personal("work organisation: which functions the caseworker takes"))
    # capacity: config/caseload.json unless the registration says otherwise
    max_cases: Mapped[int] = mapped_column(Integer, default=lambda: config.caseload().max_cases)
    weekly_minutes: Mapped[int] = mapped_column(Integer, default=lambda: config.caseload().weekly_minutes)
    working_weekdays: Mapped[list] = mapped_column(JSON, default=lambda: [0, 1, 2, 3, 4],
                                                   info=not_personal("work organisation: the caseworker's working days"))
    districts: Mapped[list] = mapped_column(JSON, default=list,
                                            info=not_personal("work organisation: the city districts served"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # the identity provider's `sub` of this person, so a caseworker token finds its own data
    subject: Mapped[str | None] = mapped_column(String(120), unique=True, default=None)
    # sha256 of the secret in the calendar URL (calendar clients cannot send bearer tokens)
    feed_token_hash: Mapped[str | None] = mapped_column(String(64), default=None)

    absences: Mapped[list[Absence]] = relationship(back_populates="caseworker", order_by="Absence.first_day")


class Absence(Base):
    __tablename__ = "absences"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    caseworker_id: Mapped[str] = mapped_column(ForeignKey("caseworkers.id"), index=True)
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    # sick leave is health data of the employee: shown to staff and the caseworker only
    kind: Mapped[str] = mapped_column(String(30), info=personal(SOCIAL, label="Art der Abwesenheit der Fachkraft"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    caseworker: Mapped[Caseworker] = relationship(back_populates="absences")


class SupportCase(Base):
    """Support for one tenancy, opened the moment the lease is signed."""

    __tablename__ = "support_cases"
    __table_args__ = (
        Index("ix_support_cases_horizon_waiting", "opened_at",
              postgresql_where=text("horizon_booked_until IS NULL AND status = 'open'"),
              sqlite_where=text("horizon_booked_until IS NULL AND status = 'open'")),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    proposal_id: Mapped[str] = mapped_column(String(36), unique=True)
    household_id: Mapped[str] = mapped_column(String(36), index=True)
    company_id: Mapped[str] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(20), default=CaseState.OPEN.value)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reference: Mapped[str | None] = mapped_column(String(40), unique=True, default=None)
    flat_id: Mapped[str | None] = mapped_column(String(36), default=None)
    # the guarantee contract, as contracts.contract.created names it for this case's proposal
    contract_id: Mapped[str | None] = mapped_column(String(36), index=True, default=None)
    contract_no: Mapped[str | None] = mapped_column(String(40), default=None)
    support_start: Mapped[date | None] = mapped_column(Date, default=None)
    # the city district alone does not single out a household; kept for assignment and statistics
    district: Mapped[str | None] = mapped_column(String(80), default=None,
                                                 info=not_personal("city district of the flat, kept for statistics"))
    street: Mapped[str | None] = mapped_column(String(200), default=None, info=personal(CONTACT, label="Anschrift: Straße"))
    postal_code: Mapped[str | None] = mapped_column(String(10), default=None,
                                                    info=personal(CONTACT, label="Anschrift: Postleitzahl"))
    city: Mapped[str | None] = mapped_column(String(80), default=None, info=personal(CONTACT, label="Anschrift: Ort"))
    household_name: Mapped[str | None] = mapped_column(String(200), default=None,
                                                       info=personal(IDENTIFYING, label="Name des Haushalts"))
    household_email: Mapped[str | None] = mapped_column(String(254), default=None,
                                                        info=personal(CONTACT, label="E-Mail des Haushalts"))
    household_phone: Mapped[str | None] = mapped_column(String(40), default=None,
                                                        info=personal(CONTACT, label="Telefon des Haushalts"))
    household_size: Mapped[int | None] = mapped_column(Integer, default=None,
                                                       info=personal(SOCIAL, keep=True, label="Haushaltsgröße"))
    # the social office's referral number, the household's one reference in every service
    referral_no: Mapped[str | None] = mapped_column(
        String(64), index=True, default=None, info=personal(IDENTIFYING, label="Aktenzeichen des Haushalts (Zuweisung)"))
    contact_person_id: Mapped[str | None] = mapped_column(ForeignKey("caseworkers.id"), index=True, default=None)
    social_worker_id: Mapped[str | None] = mapped_column(ForeignKey("caseworkers.id"), index=True, default=None)
    # states and coded outcomes stay after erasure: without the person they are statistics
    at_risk: Mapped[bool] = mapped_column(Boolean, default=False, info=personal(SOCIAL, keep=True, label="Krisenlage"))
    at_risk_since: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None,
                                                           info=personal(SOCIAL, keep=True, label="Krisenlage seit"))
    recorded_outcome: Mapped[str | None] = mapped_column(
        String(40), default=None, info=personal(SOCIAL, keep=True, label="Erwartetes Ergebnis der Begleitung (Code)"))
    outcome: Mapped[str | None] = mapped_column(String(40), default=None,
                                                info=personal(SOCIAL, keep=True, label="Ergebnis der Begleitung (Code)"))
    close_reason: Mapped[str | None] = mapped_column(EncryptedText, default=None,
                                                     info=personal(FREE_TEXT, label="Begründung des Abschlusses"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # set when the household's personal data was erased (on request or by the retention job)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # the day up to which the plan's visits were booked; empty while only the first visit is
    # (a case just opened): the `book-new-cases` job books the rest of the horizon then
    horizon_booked_until: Mapped[date | None] = mapped_column(Date, default=None)

    contact_person: Mapped[Caseworker | None] = relationship(foreign_keys=[contact_person_id])
    social_worker: Mapped[Caseworker | None] = relationship(foreign_keys=[social_worker_id])


class Appointment(Base):
    """One appointment of one caseworker. No two non-cancelled appointments of the same caseworker
    overlap: enforced by an exclusion constraint (PostgreSQL) or triggers (SQLite), see 0002."""

    __tablename__ = "appointments"
    __table_args__ = (UniqueConstraint("case_id", "plan_key", name="uq_appointments_case_plan_key"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("support_cases.id"), index=True)
    caseworker_id: Mapped[str] = mapped_column(ForeignKey("caseworkers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default=AppointmentState.SCHEDULED.value)
    plan_key: Mapped[str | None] = mapped_column(String(60), default=None)
    crisis_id: Mapped[str | None] = mapped_column(String(36), default=None)
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    cancel_reason: Mapped[str | None] = mapped_column(EncryptedText, default=None,
                                                      info=personal(FREE_TEXT, label="Grund der Absage"))
    outcome_note: Mapped[str | None] = mapped_column(EncryptedText, default=None,
                                                     info=personal(FREE_TEXT, label="Ergebnis des Termins"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    case: Mapped[SupportCase] = relationship()


class Crisis(Base):
    """An incident or rent-arrears claim that needs a crisis appointment by `deadline`."""

    __tablename__ = "crises"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("support_cases.id"), index=True)
    # incident or rent arrears: coded, kept for statistics; support stores no incident description
    trigger: Mapped[str] = mapped_column(String(30), info=personal(SOCIAL, keep=True, label="Anlass der Krise"))
    source_id: Mapped[str] = mapped_column(String(36), unique=True)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    appointment_id: Mapped[str | None] = mapped_column(String(36), default=None)
    caseworker_id: Mapped[str | None] = mapped_column(String(36), default=None)
    substitute: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default=CrisisState.PENDING.value)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
