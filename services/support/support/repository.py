"""Loading and locking support's rows for the use cases (`support.usecases`), and turning them into
the domain's values. No decisions here: what a use case does with what it loaded is its business."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import bindparam, exists, func, or_, select, union
from sqlalchemy.orm import Session, selectinload

from servicekit.workdays import BERLIN

from support.domain.errors import UnknownObject
from support.domain.lifecycle import AppointmentState, CaseState
from support.domain.model import Absence as DomainAbsence
from support.domain.model import Caseworker as DomainCaseworker
from support.domain.model import Interval, Role
from support.domain.scheduler import BusyCalendar
from support.models import Absence, Appointment, Caseworker, SupportCase

OPEN = CaseState.OPEN.value


def no_caseworker() -> UnknownObject:
    return UnknownObject("caseworker.unknown", "No caseworker with this id.")


def _domain(cw, absences) -> DomainCaseworker:
    return DomainCaseworker(
        id=cw.id,
        roles=frozenset(Role(r) for r in cw.roles),
        max_cases=cw.max_cases,
        weekly_minutes=cw.weekly_minutes,
        working_weekdays=frozenset(cw.working_weekdays),
        districts=frozenset(cw.districts or ()),
        absences=tuple(absences),
        active=cw.active,
    )


def to_domain(cw: Caseworker) -> DomainCaseworker:
    return _domain(cw, (DomainAbsence(a.first_day, a.last_day, a.kind) for a in cw.absences))


def all_caseworkers(session: Session) -> list[Caseworker]:
    return list(session.scalars(select(Caseworker).options(selectinload(Caseworker.absences)).order_by(Caseworker.id)))


def _open_case_loads(of_some: bool):
    roles = [
        select(SupportCase.id.label("case_id"), column.label("caseworker_id")).where(
            SupportCase.status == OPEN, column.is_not(None),
            *([column.in_(bindparam("ids", expanding=True))] if of_some else []))
        for column in (SupportCase.contact_person_id, SupportCase.social_worker_id)
    ]
    pairs = union(*roles).subquery()  # UNION drops the second row of a person who holds both roles
    return select(pairs.c.caseworker_id, func.count().label("cases")).group_by(pairs.c.caseworker_id)


# built once, not per call (every case opening asks twice): building a statement is a good part of
# what running it costs this process
_LOADS, _LOADS_OF = _open_case_loads(False), _open_case_loads(True)


def active_loads(session: Session, ids=None) -> dict[str, int]:
    """Open cases per caseworker (a case counts once per person, whatever their role in it),
    counted by the database: one row per caseworker, not one per open case (opening a case asks
    twice, and the open cases grow into the thousands). `ids` limits it to these caseworkers."""
    if ids is None:
        rows = session.execute(_LOADS)
    else:
        rows = session.execute(_LOADS_OF, {"ids": list(ids)})
    return {caseworker_id: count for caseworker_id, count in rows}


@dataclass(frozen=True)
class Person:
    """A caseworker as choosing a team and booking need them: the domain's view, and whom the
    household contacts (what `events.person` names)."""

    domain: DomainCaseworker
    name: str
    email: str
    phone: str | None

    @property
    def id(self) -> str:
        return self.domain.id


# caseworkers with their absences in one statement (the ORM's selectin load took a second one),
# without the ORM's identity map: the choice reads everyone, every transaction
_PEOPLE = (
    select(Caseworker.id, Caseworker.name, Caseworker.email, Caseworker.phone, Caseworker.roles,
           Caseworker.max_cases, Caseworker.weekly_minutes, Caseworker.working_weekdays, Caseworker.districts,
           Caseworker.active, Absence.first_day, Absence.last_day, Absence.kind)
    .outerjoin(Absence, Absence.caseworker_id == Caseworker.id)
    .order_by(Caseworker.id, Absence.first_day)
)
# the same for some, row-locked in id order (ORDER BY sits below the row locks), the order every
# booking takes them in, so two never deadlock; only the caseworker rows are locked
_LOCK_PEOPLE = _PEOPLE.where(Caseworker.id.in_(bindparam("ids", expanding=True))).with_for_update(of=Caseworker)


def _people(rows) -> dict[str, Person]:
    found: dict[str, tuple] = {}
    absences: dict[str, list[DomainAbsence]] = {}
    for row in rows:
        if row.id not in found:
            found[row.id], absences[row.id] = row, []
        if row.first_day is not None:
            absences[row.id].append(DomainAbsence(row.first_day, row.last_day, row.kind))
    return {cw.id: Person(_domain(cw, absences[cw.id]), cw.name, cw.email, cw.phone) for cw in found.values()}


_LOAD = _LOADS.subquery()
_PEOPLE_WITH_LOADS = _PEOPLE.add_columns(_LOAD.c.cases).outerjoin(_LOAD, _LOAD.c.caseworker_id == Caseworker.id)


def people_with_loads(session: Session) -> tuple[dict[str, Person], dict[str, int]]:
    """Every caseworker in id order, and `active_loads`, in one statement (what choosing a team
    reads first)."""
    rows = session.execute(_PEOPLE_WITH_LOADS).all()
    return _people(rows), {row.id: row.cases for row in rows if row.cases}


# a case's team, locked in one statement with reading who it is
_LOCK_TEAM = _PEOPLE.where(
    exists().where(SupportCase.id == bindparam("case_id"),
                   or_(SupportCase.contact_person_id == Caseworker.id, SupportCase.social_worker_id == Caseworker.id))
).with_for_update(of=Caseworker)


def lock_team(session: Session, case_id: str) -> dict[str, Person]:
    """`lock_people` for the contact person and social worker of this case."""
    return _people(session.execute(_LOCK_TEAM, {"case_id": case_id}))


def lock_people(session: Session, ids) -> dict[str, Person]:
    """Row locks on these caseworkers (`lock_caseworker`'s, for several in one statement), and
    them as they are under the lock."""
    found = _people(session.execute(_LOCK_PEOPLE, {"ids": sorted(set(ids))}))
    if len(found) != len(set(ids)):
        raise no_caseworker()
    return found


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


_BUSY = select(Appointment.starts_at, Appointment.ends_at).where(
    Appointment.caseworker_id == bindparam("caseworker_id"),
    Appointment.status != AppointmentState.CANCELLED.value,
    Appointment.starts_at < bindparam("stop"),
    Appointment.ends_at > bindparam("start"),
)
_BUSY_EXCEPT = _BUSY.where(Appointment.id != bindparam("exclude"))


def busy_calendar(session: Session, caseworker_id: str, first: date, end: date, *, exclude: str | None = None) -> BusyCalendar:
    """One caseworker's calendar from a week before `first` to a week after `end`, in one query:
    every slot of a booking is checked against it, not against the database."""
    start = datetime.combine(first - timedelta(days=7), datetime.min.time(), tzinfo=BERLIN)
    stop = datetime.combine(end + timedelta(days=7), datetime.min.time(), tzinfo=BERLIN)
    params = {"caseworker_id": caseworker_id, "start": start, "stop": stop}
    if exclude:
        rows = session.execute(_BUSY_EXCEPT, {**params, "exclude": exclude})
    else:
        rows = session.execute(_BUSY, params)
    return BusyCalendar(Interval(s, e) for s, e in rows)


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
