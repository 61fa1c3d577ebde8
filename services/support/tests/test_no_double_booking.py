"""The database itself refuses two overlapping appointments of one caseworker, and two cases
opened at the same moment do not double-book (concurrency is real only on PostgreSQL)."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from support.models import Appointment, SupportCase
from support_testing import MONDAY, deliver, register, tenancy


def _raw_appointment(case_id, caseworker_id, start, minutes=60, status="scheduled"):
    return Appointment(id=str(uuid.uuid4()), case_id=case_id, caseworker_id=caseworker_id, kind="home_visit",
                       starts_at=start, ends_at=start + timedelta(minutes=minutes), status=status,
                       created_at=MONDAY, updated_at=MONDAY)


def test_database_refuses_overlap_even_when_python_is_bypassed(client, tokens, db, clock):
    clock.freeze(MONDAY)
    anna = register(client, tokens)
    deliver(db, clock, "matching.tenancy.agreed", tenancy(lease_start="2027-01-04"))
    with db.session() as s:
        case_id = s.scalar(select(SupportCase.id))
    start = MONDAY + timedelta(days=30)
    with db.session() as s:
        s.add(_raw_appointment(case_id, anna["id"], start))
        s.commit()
    with db.session() as s, pytest.raises(IntegrityError):
        s.add(_raw_appointment(case_id, anna["id"], start + timedelta(minutes=30)))
        s.commit()
    with db.session() as s:  # touching intervals and cancelled ones are fine
        s.add(_raw_appointment(case_id, anna["id"], start + timedelta(minutes=60)))
        s.add(_raw_appointment(case_id, anna["id"], start, status="cancelled"))
        s.commit()
    with db.session() as s, pytest.raises(IntegrityError):  # moving onto another is refused as well
        other = s.scalar(select(Appointment).where(Appointment.starts_at == start + timedelta(minutes=60)))
        other.starts_at = start + timedelta(minutes=45)
        s.commit()


def test_two_cases_opened_at_the_same_moment_do_not_double_book(client, tokens, db, clock, run_concurrently):
    if not db.is_postgres:
        pytest.skip("concurrency is tested on PostgreSQL (SQLite runs one writer at a time)")
    clock.freeze(MONDAY)
    register(client, tokens)  # one caseworker: both cases must share her calendar
    run_concurrently(lambda _: deliver(db, clock, "matching.tenancy.agreed", tenancy()), 4)
    with db.session() as s:
        rows = s.execute(select(Appointment.starts_at, Appointment.ends_at).where(Appointment.status == "scheduled")
                         .order_by(Appointment.starts_at)).all()
        assert s.scalar(select(SupportCase.id).where(SupportCase.contact_person_id.is_(None))) is None
    assert len(rows) == 4 * 7
    for (s1, e1), (s2, e2) in zip(rows, rows[1:]):
        assert e1 <= s2


def test_two_people_booking_the_same_slot_at_once_get_one_201_and_one_409(app, client, tokens, db, clock,
                                                                         run_concurrently):
    if not db.is_postgres:
        pytest.skip("concurrency is tested on PostgreSQL (SQLite runs one writer at a time)")
    clock.freeze(MONDAY)
    anna = register(client, tokens, roles=["contact_person"])
    register(client, tokens, roles=["social_worker"])
    deliver(db, clock, "matching.tenancy.agreed", tenancy(lease_start="2026-09-01"))
    deliver(db, clock, "matching.tenancy.agreed", tenancy(lease_start="2026-09-01"))
    case_ids = [c["id"] for c in client.get("/api/v1/cases", headers=tokens.staff()).json]
    def book(i):
        with app.test_client() as own_client:
            response = own_client.post(f"/api/v1/cases/{case_ids[i]}/appointments", headers=tokens.staff(),
                                       json={"kind": "office_meeting", "starts_at": "2026-06-10T10:00:00+02:00",
                                             "caseworker_id": anna["id"]})
            return response.status_code

    statuses = run_concurrently(book, len(case_ids))
    assert sorted(statuses) == [201, 409]
