"""HTTP API of support: views that translate a request into one use case (`support.usecases`).

Who sees what:
- admin: registers and changes caseworkers; admin and staff see and manage everything else;
- caseworker: their own profile, calendar, cases (as contact person, social worker or stand-in)
  and appointments — another caseworker's answers 404;
- company: its own cases, reduced to whom to contact; another company's case answers 404.

A caseworker's "own" cases are those they are contact person or social worker of, and those in
which they have a booked (scheduled) appointment as a stand-in — for as long as it is booked. A
deactivated caseworker sees nothing, and an appointment that was cancelled or taken over by
someone else gives no access: after a reassignment the previous person loses the case.

Which fields each role receives is declared on the response schemas (`views`), and so is the
household a case concerns (`household_key`): every answer that carries a household's data is in the
access log before it leaves. Appointments and crises name their case, not the household, so their
views note the households themselves (`record_access`).
The calendar feed carries no household data (see domain/ics.py) and is not logged.
"""

from __future__ import annotations

import hmac
from datetime import timedelta

from flask import Response, url_for
from flask.views import MethodView
from flask_smorest import Api, Blueprint
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, selectinload

from servicekit.errors import Forbidden, NotFound
from servicekit.privacy import record_access
from servicekit.web import current_principal, requires, uow
from servicekit.web.pagination import page_of

from support import repository
from support.domain.events import person
from support.domain.ics import CalendarEntry, render_calendar
from support.domain.lifecycle import AppointmentAction, AppointmentState, CloseOutcome
from support.domain.model import Role
from support.models import Appointment, Caseworker, Crisis, SupportCase
from support.schemas import (
    AbsenceIn,
    AbsenceOut,
    AppointmentIn,
    AppointmentOut,
    AppointmentQuery,
    CalendarQuery,
    CancelIn,
    CaseDetailOut,
    CaseOut,
    CaseQuery,
    CaseworkerCreated,
    CaseworkerIn,
    CaseworkerOut,
    CaseworkerPatch,
    CloseIn,
    CompleteIn,
    CrisisOut,
    CrisisQuery,
    FeedTokenOut,
    ReassignIn,
    RecordOutcomeIn,
    RescheduleIn,
)
from support.usecases import appointments as appointment_cases
from support.usecases import cases as case_cases
from support.usecases import caseworkers as caseworker_cases

caseworkers = Blueprint("caseworkers", __name__, url_prefix="/api/v1/caseworkers",
                        description="Contact persons and social workers")
cases = Blueprint("cases", __name__, url_prefix="/api/v1/cases", description="Support cases, one per tenancy")
appointments = Blueprint("appointments", __name__, url_prefix="/api/v1/appointments",
                         description="Appointments of caseworkers with households")
crises = Blueprint("crises", __name__, url_prefix="/api/v1/crises",
                   description="Crisis response deadlines (staff list of pending, met and breached)")

STAFF = ("staff", "admin")
CALENDAR_PAST = timedelta(days=90)


# --- who is asking ---------------------------------------------------------------------------


def is_staff() -> bool:
    return current_principal().has_any(*STAFF)


def me(session: Session) -> Caseworker | None:
    """The active caseworker behind a caseworker token: matched by the IdP subject, or by the id
    itself for a caseworker registered without a subject (another person's subject can never
    happen to equal an id and borrow that caseworker's cases)."""
    principal = current_principal()
    if not principal.has_any("caseworker"):
        return None
    return session.scalar(
        select(Caseworker).where(
            Caseworker.active.is_(True),
            or_(Caseworker.subject == principal.sub, and_(Caseworker.subject.is_(None), Caseworker.id == principal.sub)),
        )
    )


def visible_caseworker(session: Session, caseworker_id: str) -> Caseworker:
    caseworker = session.get(Caseworker, caseworker_id, options=[selectinload(Caseworker.absences)])
    if caseworker is None:
        raise NotFound("No caseworker with this id.")
    if is_staff():
        return caseworker
    mine = me(session)
    if mine is None or mine.id != caseworker.id:
        raise NotFound("No caseworker with this id.")
    return caseworker


def stand_in_cases(caseworker: Caseworker):
    """Cases in which the caseworker has a booked appointment without being assigned (a stand-in)."""
    return select(Appointment.case_id).where(Appointment.caseworker_id == caseworker.id,
                                             Appointment.status == AppointmentState.SCHEDULED.value)


def works_on_case(session: Session, caseworker: Caseworker, case: SupportCase) -> bool:
    if caseworker.id in (case.contact_person_id, case.social_worker_id):
        return True
    return bool(session.scalar(stand_in_cases(caseworker).where(Appointment.case_id == case.id).limit(1)))


def visible_case(session: Session, case_id: str, *, lock: bool = False) -> SupportCase:
    """The case if the caller may see it; one and the same 404 otherwise."""
    case = session.get(SupportCase, case_id, with_for_update=lock)
    principal = current_principal()
    if case is not None and not principal.has_any(*STAFF):
        mine = me(session)
        if mine is not None:
            if not works_on_case(session, mine, case):
                case = None
        elif not (principal.is_company and case.company_id == principal.company_id):
            case = None
    if case is None:
        raise NotFound("No support case with this id.")
    return case


def visible_appointment(session: Session, appointment_id: str) -> Appointment:
    appointment = session.get(Appointment, appointment_id)
    if appointment is not None and not is_staff():
        mine = me(session)
        if mine is None or (appointment.caseworker_id != mine.id
                            and not works_on_case(session, mine, session.get(SupportCase, appointment.case_id))):
            appointment = None
    if appointment is None:
        raise NotFound("No appointment with this id.")
    return appointment


def case_view(session: Session, case: SupportCase, *, detail: bool = False) -> dict:
    """The case as a dict for CaseOut / CaseDetailOut, whose views cut it down to the caller's role."""
    fields = CaseDetailOut().fields if detail else CaseOut().fields
    view = {c: getattr(case, c) for c in fields if hasattr(case, c)}
    view["contact_person"] = person(case.contact_person)
    view["social_worker"] = person(case.social_worker)
    return view


def shown_appointments(session: Session, rows):
    """Appointments for the caller (their notes are about the household). They name their case, not
    the household, so the view notes the households' reads itself."""
    rows = list(rows)
    record_access(repository.households_of(session, {a.case_id for a in rows}).values())
    return rows


def shown_appointment(session: Session, appointment: Appointment) -> Appointment:
    return shown_appointments(session, [appointment])[0]


def caseworker_view(caseworker: Caseworker, loads: dict[str, int]) -> dict:
    view = {c: getattr(caseworker, c) for c in CaseworkerOut().fields if hasattr(caseworker, c)}
    view["active_cases"] = loads.get(caseworker.id, 0)
    return view


# --- caseworkers -----------------------------------------------------------------------------


@caseworkers.route("")
class Caseworkers(MethodView):
    @requires("admin")
    @caseworkers.arguments(CaseworkerIn)
    @caseworkers.response(201, CaseworkerCreated)
    def post(self, data):
        """Register a caseworker (admin). The answer holds the calendar secret, shown only once."""
        with uow() as unit:
            caseworker, token = caseworker_cases.register(unit, data)
            unit.commit()
            return {**caseworker_view(caseworker, {}), "calendar_token": token}

    @requires(*STAFF)
    @caseworkers.response(200, CaseworkerOut(many=True))
    @caseworkers.paginate()
    def get(self, pagination_parameters):
        """Caseworkers with their current caseload."""
        with uow() as unit:
            stmt = select(Caseworker).options(selectinload(Caseworker.absences)).order_by(Caseworker.name, Caseworker.id)
            page = page_of(unit.session, stmt, pagination_parameters)
            loads = repository.active_loads(unit.session)
            return [caseworker_view(c, loads) for c in page]


@caseworkers.route("/<string:caseworker_id>")
class CaseworkerById(MethodView):
    @requires("staff", "admin", "caseworker")
    @caseworkers.response(200, CaseworkerOut)
    def get(self, caseworker_id):
        """One caseworker (a caseworker sees only themself)."""
        with uow() as unit:
            caseworker = visible_caseworker(unit.session, caseworker_id)
            return caseworker_view(caseworker, repository.active_loads(unit.session))

    @requires("admin")
    @caseworkers.arguments(CaseworkerPatch)
    @caseworkers.response(200, CaseworkerOut)
    def patch(self, data, caseworker_id):
        """Change capacity, roles, working days, districts, or deactivate (admin)."""
        with uow() as unit:
            caseworker = caseworker_cases.change(unit, caseworker_id, data)
            unit.commit()
            return caseworker_view(caseworker, repository.active_loads(unit.session))


@caseworkers.route("/<string:caseworker_id>/absences")
class Absences(MethodView):
    @requires("staff", "admin", "caseworker")
    @caseworkers.arguments(AbsenceIn)
    @caseworkers.response(201, AbsenceOut)
    def post(self, data, caseworker_id):
        """Record an absence. Planned visits that fall into it are cancelled and booked again
        around it; a crisis appointment in it goes back to pending for a stand-in."""
        with uow() as unit:
            caseworker = visible_caseworker(unit.session, caseworker_id)
            absence = caseworker_cases.add_absence(unit, caseworker, data)
            unit.commit()
            return absence


@caseworkers.route("/<string:caseworker_id>/absences/<string:absence_id>")
class AbsenceById(MethodView):
    @requires("staff", "admin", "caseworker")
    @caseworkers.response(204)
    def delete(self, caseworker_id, absence_id):
        """Remove an absence that will not happen."""
        with uow() as unit:
            caseworker = visible_caseworker(unit.session, caseworker_id)
            caseworker_cases.remove_absence(unit, caseworker, absence_id)
            unit.commit()


@caseworkers.route("/<string:caseworker_id>/calendar-token")
class CalendarToken(MethodView):
    @requires("admin", "caseworker")
    @caseworkers.response(201, FeedTokenOut)
    def post(self, caseworker_id):
        """Issue a new calendar secret (the old calendar URL stops working)."""
        with uow() as unit:
            caseworker = visible_caseworker(unit.session, caseworker_id)
            token = caseworker_cases.rotate_feed_token(unit, caseworker)
            unit.commit()
            url = url_for("caseworkers.calendar", caseworker_id=caseworker.id, token=token, _external=True)
            return {"calendar_token": token, "calendar_url": url}


@caseworkers.route("/<string:caseworker_id>/calendar.ics", endpoint="calendar")
@caseworkers.arguments(CalendarQuery, location="query")
@caseworkers.response(200, {"type": "string", "format": "binary"}, content_type="text/calendar",
                      description="iCalendar (RFC 5545) feed: the caseworker's appointments")
def calendar(query, caseworker_id):
    """The caseworker's appointments as an iCalendar feed, for calendar clients: authenticate with
    a bearer token (the caseworker, staff) or with `?token=` (the calendar secret). Events carry
    only the kind of appointment and the case reference."""
    with uow() as unit:
        if query.get("token"):
            caseworker = unit.session.get(Caseworker, caseworker_id)
            expected = caseworker.feed_token_hash if caseworker else None
            if not expected or not hmac.compare_digest(expected, caseworker_cases.hash_feed_token(query["token"])):
                raise NotFound("No calendar at this address.")
        else:
            if not current_principal().has_any("staff", "admin", "caseworker"):
                raise Forbidden("This needs one of the roles: staff, admin, caseworker.")
            caseworker = visible_caseworker(unit.session, caseworker_id)
        now = unit.now()
        rows = unit.session.execute(
            select(Appointment, SupportCase.reference)
            .join(SupportCase, SupportCase.id == Appointment.case_id)
            .where(Appointment.caseworker_id == caseworker.id, Appointment.starts_at >= now - CALENDAR_PAST)
            .order_by(Appointment.starts_at)
        ).all()
        entries = [
            CalendarEntry(a.id, ref or a.case_id[:8], a.kind, a.starts_at, a.ends_at, a.status, a.sequence, a.updated_at)
            for a, ref in rows
        ]
        body = render_calendar(f"WohnenPlus – {caseworker.name}", entries, now)
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = 'inline; filename="wohnenplus.ics"'
    return response


@caseworkers.route("/<string:caseworker_id>/appointments")
class CaseworkerAppointments(MethodView):
    @requires("staff", "admin", "caseworker")
    @caseworkers.arguments(AppointmentQuery, location="query")
    @caseworkers.response(200, AppointmentOut(many=True))
    @caseworkers.paginate()
    def get(self, query, pagination_parameters, caseworker_id):
        """A caseworker's appointments (their own, for a caseworker)."""
        with uow() as unit:
            caseworker = visible_caseworker(unit.session, caseworker_id)
            page = page_of(unit.session, _appointment_filter(select(Appointment), {**query, "caseworker_id": caseworker.id}),
                           pagination_parameters)
            return shown_appointments(unit.session, page)


# --- cases -----------------------------------------------------------------------------------


@cases.route("")
class Cases(MethodView):
    @requires("staff", "admin", "caseworker", "company")
    @cases.arguments(CaseQuery, location="query")
    @cases.response(200, CaseOut(many=True))
    @cases.paginate()
    def get(self, query, pagination_parameters):
        """Support cases, newest first: all for staff, own for caseworkers and companies.

        Filters: `status`, `at_risk`, `caseworker_id`, `household_id`, `contract_id`, `referral_no`; they narrow the
        caller's own list (a company asking for another company's household gets an empty list).
        """
        with uow() as unit:
            stmt = select(SupportCase).options(selectinload(SupportCase.contact_person),
                                               selectinload(SupportCase.social_worker))
            principal = current_principal()
            if not principal.has_any(*STAFF):
                mine = me(unit.session)
                if mine is not None:
                    stmt = stmt.where(or_(SupportCase.contact_person_id == mine.id, SupportCase.social_worker_id == mine.id,
                                          SupportCase.id.in_(stand_in_cases(mine))))
                elif principal.is_company:
                    stmt = stmt.where(SupportCase.company_id == principal.company_id)
                else:
                    return []
            if "status" in query:
                stmt = stmt.where(SupportCase.status == query["status"])
            if "at_risk" in query:
                stmt = stmt.where(SupportCase.at_risk.is_(query["at_risk"]))
            if query.get("caseworker_id"):
                cid = query["caseworker_id"]
                stmt = stmt.where(or_(SupportCase.contact_person_id == cid, SupportCase.social_worker_id == cid))
            for field in ("household_id", "contract_id", "referral_no"):
                if query.get(field):
                    stmt = stmt.where(getattr(SupportCase, field) == str(query[field]))
            stmt = stmt.order_by(SupportCase.opened_at.desc(), SupportCase.id)
            page = page_of(unit.session, stmt, pagination_parameters)
            return [case_view(unit.session, c) for c in page]


@cases.route("/<string:case_id>")
class CaseById(MethodView):
    @requires("staff", "admin", "caseworker", "company")
    @cases.response(200, CaseDetailOut)
    def get(self, case_id):
        """One case; household contact and address only for staff and the case's caseworkers."""
        with uow() as unit:
            return case_view(unit.session, visible_case(unit.session, case_id), detail=True)


@cases.route("/<string:case_id>/close")
class CloseCase(MethodView):
    @requires(*STAFF)
    @cases.arguments(CloseIn)
    @cases.response(200, CaseDetailOut)
    def post(self, data, case_id):
        """Close a case with an outcome; its future appointments are cancelled."""
        with uow() as unit:
            case = visible_case(unit.session, case_id, lock=True)
            case_cases.close_case(unit, case, CloseOutcome(data["outcome"]), data["reason"])
            unit.commit()
            return case_view(unit.session, case, detail=True)


@cases.route("/<string:case_id>/outcome")
class RecordOutcome(MethodView):
    @requires("staff", "admin", "caseworker")
    @cases.arguments(RecordOutcomeIn)
    @cases.response(200, CaseDetailOut)
    def post(self, data, case_id):
        """Record the expected outcome; the case closes with it when the guarantee term expires."""
        with uow() as unit:
            case = visible_case(unit.session, case_id, lock=True)
            case_cases.record_outcome(unit, case, CloseOutcome(data["outcome"]))
            unit.commit()
            return case_view(unit.session, case, detail=True)


@cases.route("/<string:case_id>/reassign")
class Reassign(MethodView):
    @requires(*STAFF)
    @cases.arguments(ReassignIn)
    @cases.response(200, CaseDetailOut)
    def post(self, data, case_id):
        """Hand the case to another contact person or social worker (audited, announced)."""
        with uow() as unit:
            case = visible_case(unit.session, case_id, lock=True)
            case_cases.reassign(unit, case, Role(data["role"]), data["caseworker_id"], data["reason"])
            unit.commit()
            unit.session.refresh(case)
            return case_view(unit.session, case, detail=True)


@cases.route("/<string:case_id>/risk/clear")
class ClearRisk(MethodView):
    @requires("staff", "admin", "caseworker")
    @cases.response(200, CaseDetailOut)
    def post(self, case_id):
        """The crisis is over: the case is no longer at risk."""
        with uow() as unit:
            case = visible_case(unit.session, case_id, lock=True)
            case_cases.clear_risk(unit, case)
            unit.commit()
            return case_view(unit.session, case, detail=True)


@cases.route("/<string:case_id>/appointments")
class CaseAppointments(MethodView):
    @requires("staff", "admin", "caseworker")
    @cases.arguments(AppointmentQuery, location="query")
    @cases.response(200, AppointmentOut(many=True))
    @cases.paginate()
    def get(self, query, pagination_parameters, case_id):
        """The case's appointments in time order."""
        with uow() as unit:
            case = visible_case(unit.session, case_id)
            stmt = _appointment_filter(select(Appointment).where(Appointment.case_id == case.id), query)
            return shown_appointments(unit.session, page_of(unit.session, stmt, pagination_parameters))

    @requires("staff", "admin", "caseworker")
    @cases.arguments(AppointmentIn)
    @cases.response(201, AppointmentOut)
    def post(self, data, case_id):
        """Book an appointment by hand: same rules as the planner (working day, office hours,
        no overlap, not absent, weekly hours)."""
        with uow() as unit:
            case = visible_case(unit.session, case_id, lock=True)
            mine = None if is_staff() else me(unit.session)
            caseworker_id = data["caseworker_id"] or (mine.id if mine else None)
            if mine is not None and caseworker_id != mine.id:
                raise Forbidden("A caseworker books only into their own calendar.")
            appointment = appointment_cases.book_by_hand(unit, case, caseworker_id, data["kind"], data["starts_at"],
                                                data["duration_minutes"])
            unit.commit()
            return shown_appointment(unit.session, appointment)


@cases.route("/<string:case_id>/crises")
class CaseCrises(MethodView):
    @requires("staff", "admin", "caseworker")
    @cases.response(200, CrisisOut(many=True))
    def get(self, case_id):
        """Crisis deadlines of this case."""
        with uow() as unit:
            case = visible_case(unit.session, case_id)
            found = list(unit.session.scalars(select(Crisis).where(Crisis.case_id == case.id).order_by(Crisis.reported_at)))
            record_access([case.household_id] if found else [])
            return found


# --- appointments ----------------------------------------------------------------------------


def _appointment_filter(stmt, query):
    if query.get("caseworker_id"):
        stmt = stmt.where(Appointment.caseworker_id == query["caseworker_id"])
    if query.get("status"):
        stmt = stmt.where(Appointment.status == query["status"])
    if query.get("start"):
        stmt = stmt.where(Appointment.starts_at >= query["start"])
    if query.get("end"):
        stmt = stmt.where(Appointment.starts_at < query["end"])
    return stmt.order_by(Appointment.starts_at, Appointment.id)


@appointments.route("")
class Appointments(MethodView):
    @requires("staff", "admin", "caseworker")
    @appointments.arguments(AppointmentQuery, location="query")
    @appointments.response(200, AppointmentOut(many=True))
    @appointments.paginate()
    def get(self, query, pagination_parameters):
        """Appointments; a caseworker sees only their own."""
        with uow() as unit:
            if not is_staff():
                mine = me(unit.session)
                if mine is None:
                    return []
                query = {**query, "caseworker_id": mine.id}
            page = page_of(unit.session, _appointment_filter(select(Appointment), query), pagination_parameters)
            return shown_appointments(unit.session, page)


@appointments.route("/<string:appointment_id>")
class AppointmentById(MethodView):
    @requires("staff", "admin", "caseworker")
    @appointments.response(200, AppointmentOut)
    def get(self, appointment_id):
        """One appointment."""
        with uow() as unit:
            return shown_appointment(unit.session, visible_appointment(unit.session, appointment_id))


@appointments.route("/<string:appointment_id>/reschedule")
class Reschedule(MethodView):
    @requires("staff", "admin", "caseworker")
    @appointments.arguments(RescheduleIn)
    @appointments.response(200, AppointmentOut)
    def post(self, data, appointment_id):
        """Move an appointment (same rules as booking)."""
        with uow() as unit:
            appointment = visible_appointment(unit.session, appointment_id)
            appointment_cases.reschedule(unit, appointment, data["starts_at"], data["duration_minutes"])
            unit.commit()
            return shown_appointment(unit.session, appointment)


@appointments.route("/<string:appointment_id>/cancel")
class Cancel(MethodView):
    @requires("staff", "admin", "caseworker")
    @appointments.arguments(CancelIn)
    @appointments.response(200, AppointmentOut)
    def post(self, data, appointment_id):
        """Cancel with a reason."""
        with uow() as unit:
            appointment = visible_appointment(unit.session, appointment_id)
            appointment_cases.cancel(unit, appointment, data["reason"])
            unit.commit()
            return shown_appointment(unit.session, appointment)


@appointments.route("/<string:appointment_id>/complete")
class Complete(MethodView):
    @requires("staff", "admin", "caseworker")
    @appointments.arguments(CompleteIn)
    @appointments.response(200, AppointmentOut)
    def post(self, data, appointment_id):
        """Record that the appointment took place, with a short outcome."""
        with uow() as unit:
            appointment = visible_appointment(unit.session, appointment_id)
            appointment_cases.finish(unit, appointment, AppointmentAction.COMPLETE, data["outcome"])
            unit.commit()
            return shown_appointment(unit.session, appointment)


@appointments.route("/<string:appointment_id>/missed")
class Missed(MethodView):
    @requires("staff", "admin", "caseworker")
    @appointments.response(200, AppointmentOut)
    def post(self, appointment_id):
        """Record that the household was not met."""
        with uow() as unit:
            appointment = visible_appointment(unit.session, appointment_id)
            appointment_cases.finish(unit, appointment, AppointmentAction.MISS, None)
            unit.commit()
            return shown_appointment(unit.session, appointment)


# --- crises ----------------------------------------------------------------------------------


@crises.route("")
class Crises(MethodView):
    @requires(*STAFF)
    @crises.arguments(CrisisQuery, location="query")
    @crises.response(200, CrisisOut(many=True))
    @crises.paginate()
    def get(self, query, pagination_parameters):
        """Crisis deadlines, most urgent first; `?status=breached` is the list to act on."""
        with uow() as unit:
            stmt = select(Crisis).order_by(Crisis.deadline, Crisis.id)
            if query.get("status"):
                stmt = stmt.where(Crisis.status == query["status"])
            page = page_of(unit.session, stmt, pagination_parameters)
            record_access(repository.households_of(unit.session, {c.case_id for c in page}).values())
            return page


def register(api: Api) -> None:
    api.register_blueprint(caseworkers)
    api.register_blueprint(cases)
    api.register_blueprint(appointments)
    api.register_blueprint(crises)
