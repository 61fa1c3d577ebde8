"""Loading and locking support's rows for the use cases (`support.usecases`), and turning them into
the domain's values. No decisions here: what a use case does with what it loaded is its business."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, select, union
from sqlalchemy.orm import Session, selectinload

from servicekit.workdays import BERLIN

from support.domain.errors import UnknownObject
from support.domain.lifecycle import AppointmentState, CaseState
from support.domain.model import Absence as DomainAbsence
from support.domain.model import Caseworker as DomainCaseworker
from support.domain.model import Interval, Role
from support.domain.scheduler import BusyCalendar
from support.models import Appointment, Caseworker, SupportCase

OPEN = CaseState.OPEN.value


def no_caseworker() -> UnknownObject:
    return UnknownObject("caseworker.unknown", "No caseworker with this id.")


def to_domain(cw: Caseworker) -> DomainCaseworker:
    return DomainCaseworker(
        id=cw.id,
        roles=frozenset(Role(r) for r in cw.roles),
        max_cases=cw.max_cases,
        weekly_minutes=cw.weekly_minutes,
        working_weekdays=frozenset(cw.working_weekdays),
        districts=frozenset(cw.districts or ()),
        absences=tuple(DomainAbsence(a.first_day, a.last_day, a.kind) for a in cw.absences),
        active=cw.active,
    )


def all_caseworkers(session: Session) -> list[Caseworker]:
    return list(session.scalars(select(Caseworker).options(selectinload(Caseworker.absences)).order_by(Caseworker.id)))


def active_loads(session: Session, ids=None) -> dict[str, int]:
    """Open cases per caseworker (a case counts once per person, whatever their role in it),
    counted by the database: one row per caseworker, not one per open case (opening a case asks
    twice, and the open cases grow into the thousands). `ids` limits it to these caseworkers."""
    roles = [
        select(SupportCase.id.label("case_id"), column.label("caseworker_id")).where(
            SupportCase.status == OPEN, column.is_not(None), *([column.in_(ids)] if ids is not None else []))
        for column in (SupportCase.contact_person_id, SupportCase.social_worker_id)
    ]
    pairs = union(*roles).subquery()  # UNION drops the second row of a person who holds both roles
    rows = session.execute(select(pairs.c.caseworker_id, func.count()).group_by(pairs.c.caseworker_id))
    return {caseworker_id: count for caseworker_id, count in rows}


def lock_caseworker(session: Session, caseworker_id: str) -> Caseworker:
    """Row lock on the caseworker: bookings for one person are serialised (PostgreSQL); the
    exclusion constraint stays the guarantee, the lock just avoids losing the race."""
    caseworker = session.get(
        Caseworker, caseworker_id, with_for_update=True, populate_existing=True,
        options=[selectinload(Caseworker.absences)],
    )
    if caseworker is None:
        raise no_caseworker()
    return caseworker


def lock_caseworkers(session: Session, ids) -> dict[str, Caseworker]:
    """`lock_caseworker` for several in one statement; rows are locked in id order (ORDER BY sits
    below the row locks), the order every booking takes them in, so two never deadlock."""
    rows = session.scalars(
        select(Caseworker).where(Caseworker.id.in_(sorted(ids))).order_by(Caseworker.id).with_for_update()
        .options(selectinload(Caseworker.absences)).execution_options(populate_existing=True)
    ).all()
    if len(rows) != len(set(ids)):
        raise no_caseworker()
    return {row.id: row for row in rows}


def busy_calendar(session: Session, caseworker_id: str, first: date, end: date, *, exclude: str | None = None) -> BusyCalendar:
    start = datetime.combine(first - timedelta(days=7), datetime.min.time(), tzinfo=BERLIN)
    stop = datetime.combine(end + timedelta(days=7), datetime.min.time(), tzinfo=BERLIN)
    stmt = select(Appointment.starts_at, Appointment.ends_at).where(
        Appointment.caseworker_id == caseworker_id,
        Appointment.status != AppointmentState.CANCELLED.value,
        Appointment.starts_at < stop,
        Appointment.ends_at > start,
    )
    if exclude:
        stmt = stmt.where(Appointment.id != exclude)
    return BusyCalendar(Interval(s, e) for s, e in session.execute(stmt))


def load_case(session: Session, case_id: str, *, lock: bool = False) -> SupportCase:
    case = session.get(SupportCase, case_id, with_for_update=lock)
    if case is None:
        raise UnknownObject("case.unknown", "No support case with this id.")
    return case


def households_of(session: Session, case_ids) -> dict[str, str]:
    """case id → household id, for the access log of responses that list appointments or crises."""
    ids = sorted(set(case_ids))
    if not ids:
        return {}
    return dict(session.execute(select(SupportCase.id, SupportCase.household_id).where(SupportCase.id.in_(ids))).all())
