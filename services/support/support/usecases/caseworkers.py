"""Caseworkers: registration, changes, absences and the calendar secret."""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from servicekit.db import UnitOfWork
from servicekit.workdays import BERLIN

from support import repository
from support.domain import events
from support.domain.crisis import CrisisState
from support.domain.errors import StateConflict, UnknownObject
from support.domain.lifecycle import AppointmentState
from support.models import Absence, Appointment, Caseworker, Crisis
from support.usecases import appointments, crises


def hash_feed_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_feed_token(caseworker: Caseworker) -> str:
    """A fresh secret for the calendar URL; only its hash is stored, so it is shown once."""
    token = secrets.token_urlsafe(32)
    caseworker.feed_token_hash = hash_feed_token(token)
    return token


def register(uow: UnitOfWork, data: dict[str, Any]) -> tuple[Caseworker, str]:
    """A new caseworker (roles and weekdays as sets); returns it with its calendar secret."""
    session = uow.session
    if session.scalar(select(Caseworker.id).where(Caseworker.email == data["email"])):
        raise StateConflict("caseworker.email_taken", "A caseworker with this email is already registered.")
    if data.get("subject") and session.scalar(select(Caseworker.id).where(Caseworker.subject == data["subject"])):
        raise StateConflict("caseworker.subject_taken", "Another caseworker already has this subject.")
    values = {**data, "roles": sorted(set(data["roles"])), "working_weekdays": sorted(set(data["working_weekdays"]))}
    caseworker = Caseworker(**values, registered_at=uow.now(), absences=[])
    token = new_feed_token(caseworker)
    session.add(caseworker)
    session.flush()
    uow.publish_events(events.caseworker_registered(caseworker))
    uow.audit("caseworker", caseworker.id, "registered")
    return caseworker, token


def change(uow: UnitOfWork, caseworker_id: str, data: dict[str, Any]) -> Caseworker:
    """Capacity, roles, working days, districts, phone, active: audited (the phone's value is not)."""
    caseworker = repository.lock_caseworker(uow.session, caseworker_id)
    before = {k: getattr(caseworker, k) for k in data}
    for key, value in data.items():
        setattr(caseworker, key, sorted(set(value)) if isinstance(value, list) else value)
    uow.session.flush()
    uow.audit("caseworker", caseworker.id, "changed",
              detail={k: {"from": before[k], "to": getattr(caseworker, k)} for k in data if k != "phone"})
    return caseworker


def rotate_feed_token(uow: UnitOfWork, caseworker: Caseworker) -> str:
    token = new_feed_token(caseworker)
    uow.audit("caseworker", caseworker.id, "calendar_token_rotated")
    return token


def add_absence(uow: UnitOfWork, caseworker: Caseworker, data: dict[str, Any]) -> Absence:
    """Record an absence and clear it (see `clear_absence`)."""
    absence = Absence(caseworker_id=caseworker.id, created_at=uow.now(), **data)
    uow.session.add(absence)
    uow.session.flush()
    uow.audit("caseworker", caseworker.id, "absence_added",
              detail={"first_day": str(data["first_day"]), "last_day": str(data["last_day"]), "kind": data["kind"]})
    clear_absence(uow, caseworker, data["first_day"], data["last_day"])
    return absence


def remove_absence(uow: UnitOfWork, caseworker: Caseworker, absence_id: str) -> None:
    """An absence that will not happen."""
    absence = uow.session.get(Absence, absence_id)
    if absence is None or absence.caseworker_id != caseworker.id:
        raise UnknownObject("absence.unknown", "No absence with this id.")
    uow.session.delete(absence)
    uow.audit("caseworker", caseworker.id, "absence_removed", detail={"absence_id": absence_id})


def clear_absence(uow: UnitOfWork, caseworker: Caseworker, first: date, last: date) -> None:
    """A new absence: this person's future appointments in it are cancelled; planned visits are
    booked again (with this person, around the absence) and crisis appointments go back to
    pending, so staff see them on the crisis list."""
    now = uow.now()
    start = datetime.combine(first, datetime.min.time(), tzinfo=BERLIN)
    stop = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=BERLIN)
    affected = uow.session.scalars(
        select(Appointment).where(Appointment.caseworker_id == caseworker.id,
                                  Appointment.status == AppointmentState.SCHEDULED.value,
                                  Appointment.starts_at >= start, Appointment.starts_at > now,
                                  Appointment.starts_at < stop)
    ).all()
    case_ids, crisis_ids = set(), []
    for appointment in affected:
        appointments.cancel_by_support(uow, appointment, "Abwesenheit der Fachkraft", keep_plan_key=False)
        case_ids.add(appointment.case_id)
        if appointment.crisis_id:
            crisis_ids.append(appointment.crisis_id)
    uow.session.expire(caseworker, ["absences"])
    for crisis_id in crisis_ids:  # a stand-in takes the crisis appointment at once
        crisis = uow.session.get(Crisis, crisis_id)
        if crisis.status == CrisisState.PENDING.value and crisis.appointment_id is None and crisis.deadline > now:
            crises.place_crisis_appointment(uow, repository.load_case(uow.session, crisis.case_id), crisis)
    for case_id in sorted(case_ids):
        appointments.book_horizon(uow, repository.load_case(uow.session, case_id))
