"""Appointments, cases and the calendar over HTTP: rules, roles, company isolation, bad input."""

import icalendar
from sqlalchemy import func, select

from servicekit.db import audit_log

from support.models import Appointment
from support_testing import MONDAY, open_case, register

BOOK = "/api/v1/cases/{}/appointments"


def _setup(client, tokens, db, clock, **case):
    clock.freeze(MONDAY)
    anna = register(client, tokens, name="Anna", roles=["contact_person"])
    ben = register(client, tokens, name="Ben", roles=["social_worker"])
    return anna, ben, open_case(client, db, clock, tokens, **case)


def _count(db):
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(Appointment))


def test_book_by_hand_with_the_contact_person(client, tokens, db, clock):
    anna, _, case = _setup(client, tokens, db, clock)
    response = client.post(BOOK.format(case["id"]), json={"kind": "office_meeting", "starts_at": "2026-06-09T10:00:00+02:00"},
                           headers=tokens.caseworker(anna["id"]))
    assert response.status_code == 201, response.json
    assert response.json["caseworker_id"] == anna["id"] and response.json["starts_at"].startswith("2026-06-09T08:00:00")


def test_bad_bookings_are_refused_and_nothing_is_written(client, tokens, db, clock):
    anna, ben, case = _setup(client, tokens, db, clock)
    client.post(BOOK.format(case["id"]), json={"kind": "office_meeting", "starts_at": "2026-06-09T10:00:00+02:00"},
                headers=tokens.staff())
    before = _count(db)
    cases = [
        ({"kind": "office_meeting", "starts_at": "2026-06-09T19:00:00+02:00"}, 422, "outside_office_hours"),
        ({"kind": "office_meeting", "starts_at": "2026-06-04T10:00:00+02:00"}, 422, "not_working_day"),  # Corpus Christi
        ({"kind": "office_meeting", "starts_at": "2026-12-25T10:00:00+01:00"}, 422, "not_working_day"),
        ({"kind": "office_meeting", "starts_at": "2026-06-09T10:30:00+02:00"}, 409, "overlap"),
        ({"kind": "office_meeting", "starts_at": "2026-06-01T10:00:00+02:00"}, 422, "in_past"),
    ]
    for body, status, code in cases:
        response = client.post(BOOK.format(case["id"]), json=body, headers=tokens.staff())
        assert response.status_code == status, (body, response.json)
        assert code in response.json["violations"]
        assert response.content_type == "application/problem+json"
        # the stable code clients branch on; a rejected slot names the input that broke the rules
        if status == 409:
            assert response.json["code"] == "appointment.overlap"
        else:
            assert response.json["code"] == "appointment.slot_rejected"
            assert "starts_at" in response.json["errors"]["json"]
    client.post(f"/api/v1/caseworkers/{anna['id']}/absences", json={"first_day": "2026-06-22", "last_day": "2026-06-26"},
                headers=tokens.staff())
    absent = client.post(BOOK.format(case["id"]), json={"kind": "office_meeting", "starts_at": "2026-06-23T10:00:00+02:00"},
                         headers=tokens.staff())
    assert absent.status_code == 422 and "caseworker_absent" in absent.json["violations"]
    naive = client.post(BOOK.format(case["id"]), json={"kind": "office_meeting", "starts_at": "2026-06-09T14:00:00"},
                        headers=tokens.staff())
    assert naive.status_code == 422 and "starts_at" in naive.json["errors"]["json"]
    wrong_kind = client.post(BOOK.format(case["id"]), json={"kind": "party", "starts_at": "2026-06-09T14:00:00+02:00"},
                             headers=tokens.staff())
    assert wrong_kind.status_code == 422 and "kind" in wrong_kind.json["errors"]["json"]
    assert client.post(BOOK.format("no-such-case"), json={"kind": "office_meeting", "starts_at": "2026-06-09T14:00:00+02:00"},
                       headers=tokens.staff()).status_code == 404
    assert _count(db) == before


def test_closed_case_takes_no_new_appointments(client, tokens, db, clock):
    _, _, case = _setup(client, tokens, db, clock)
    closed = client.post(f"/api/v1/cases/{case['id']}/close", json={"outcome": "moved_out"}, headers=tokens.staff())
    assert closed.status_code == 200 and closed.json["status"] == "closed"
    assert client.post(f"/api/v1/cases/{case['id']}/close", json={"outcome": "moved_out"},
                       headers=tokens.staff()).status_code == 409
    response = client.post(BOOK.format(case["id"]), json={"kind": "office_meeting", "starts_at": "2026-06-09T10:00:00+02:00"},
                           headers=tokens.staff())
    assert response.status_code == 409
    other = client.post(f"/api/v1/cases/{case['id']}/close", json={"outcome": "other"}, headers=tokens.staff())
    assert other.status_code == 409
    bad = client.post(f"/api/v1/cases/{case['id']}/close", json={"outcome": "gone"}, headers=tokens.staff())
    assert bad.status_code == 422 and "outcome" in bad.json["errors"]["json"]


def test_reschedule_cancel_complete_missed(client, tokens, db, clock):
    anna, ben, case = _setup(client, tokens, db, clock)
    visits = client.get(BOOK.format(case["id"]), headers=tokens.caseworker(ben["id"])).json
    first, second, third = visits[0], visits[1], visits[2]
    moved = client.post(f"/api/v1/appointments/{first['id']}/reschedule",
                        json={"starts_at": "2026-06-16T14:00:00+02:00"}, headers=tokens.caseworker(ben["id"]))
    if moved.status_code == 409:  # the planner may have put another visit there; take the next hour
        moved = client.post(f"/api/v1/appointments/{first['id']}/reschedule",
                            json={"starts_at": "2026-06-16T15:00:00+02:00"}, headers=tokens.caseworker(ben["id"]))
    assert moved.status_code == 200 and moved.json["sequence"] == 1
    onto_other = client.post(f"/api/v1/appointments/{first['id']}/reschedule",
                             json={"starts_at": second["starts_at"]}, headers=tokens.staff())
    assert onto_other.status_code == 409

    no_reason = client.post(f"/api/v1/appointments/{second['id']}/cancel", json={}, headers=tokens.staff())
    assert no_reason.status_code == 422 and "reason" in no_reason.json["errors"]["json"]
    cancelled = client.post(f"/api/v1/appointments/{second['id']}/cancel", json={"reason": "Mieterin im Krankenhaus"},
                            headers=tokens.staff())
    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled"
    assert client.post(f"/api/v1/appointments/{second['id']}/complete", json={"outcome": "erledigt"},
                       headers=tokens.staff()).status_code == 409

    too_early = client.post(f"/api/v1/appointments/{third['id']}/complete", json={"outcome": "Gespräch geführt"},
                            headers=tokens.staff())
    assert too_early.status_code == 409
    clock.advance(days=40)
    done = client.post(f"/api/v1/appointments/{third['id']}/complete", json={"outcome": "Gespräch geführt"},
                       headers=tokens.caseworker(ben["id"]))
    assert done.status_code == 200 and done.json["status"] == "completed"
    missed = client.post(f"/api/v1/appointments/{first['id']}/missed", headers=tokens.staff())
    assert missed.status_code == 200 and missed.json["status"] == "missed"
    with db.session() as s:
        actions = set(s.scalars(select(audit_log.c.action).where(audit_log.c.entity == "appointment")))
    assert {"scheduled", "rescheduled", "cancelled", "completed", "missed"} <= actions


def test_caseworkers_see_their_own_and_companies_only_their_cases(client, tokens, db, clock):
    anna, ben, case = _setup(client, tokens, db, clock)
    stranger = register(client, tokens, name="Cleo")
    visit = client.get(BOOK.format(case["id"]), headers=tokens.staff()).json[0]
    assert client.get(f"/api/v1/appointments/{visit['id']}", headers=tokens.caseworker(stranger["id"])).status_code == 404
    assert client.get(f"/api/v1/cases/{case['id']}", headers=tokens.caseworker(stranger["id"])).status_code == 404
    assert client.get("/api/v1/appointments", headers=tokens.caseworker(stranger["id"])).json == []
    own = client.get("/api/v1/appointments", headers=tokens.caseworker(ben["id"])).json
    assert own and {a["caseworker_id"] for a in own} == {ben["id"]}
    assert client.post(f"/api/v1/appointments/{visit['id']}/cancel", json={"reason": "nicht meins"},
                       headers=tokens.caseworker(stranger["id"])).status_code == 404

    detail = client.get(f"/api/v1/cases/{case['id']}", headers=tokens.caseworker(anna["id"])).json
    assert detail["household_name"] == "Familie Beispiel"
    company = client.get(f"/api/v1/cases/{case['id']}", headers=tokens.company(case["company_id"]))
    assert company.status_code == 200
    assert company.json["contact_person"]["name"] == "Anna" and "household_name" not in company.json
    assert "social_worker" not in company.json and "at_risk" not in company.json
    assert client.get(f"/api/v1/cases/{case['id']}", headers=tokens.company("07e40000-0000-4000-8000-000000000000")).status_code == 404
    assert client.get("/api/v1/cases", headers=tokens.company("07e40000-0000-4000-8000-000000000000")).json == []
    assert client.get(BOOK.format(case["id"]), headers=tokens.company(case["company_id"])).status_code == 403
    assert client.get("/api/v1/crises", headers=tokens.caseworker(anna["id"])).status_code == 403


def test_reassignment_is_explicit_audited_and_moves_future_visits(client, tokens, db, clock, bus, worker):
    anna, ben, case = _setup(client, tokens, db, clock)
    carla = register(client, tokens, name="Carla", roles=["social_worker"])
    capture = bus.capture("support.case.reassigned")
    missing_reason = client.post(f"/api/v1/cases/{case['id']}/reassign",
                                 json={"role": "social_worker", "caseworker_id": carla["id"]}, headers=tokens.staff())
    assert missing_reason.status_code == 422 and "reason" in missing_reason.json["errors"]["json"]
    wrong_role = client.post(f"/api/v1/cases/{case['id']}/reassign",
                             json={"role": "contact_person", "caseworker_id": carla["id"], "reason": "Elternzeit"},
                             headers=tokens.staff())
    assert wrong_role.status_code == 422 and "caseworker_id" in wrong_role.json["errors"]["json"]
    assert client.post(f"/api/v1/cases/{case['id']}/reassign",
                       json={"role": "social_worker", "caseworker_id": carla["id"], "reason": "Elternzeit"},
                       headers=tokens.caseworker(ben["id"])).status_code == 403

    response = client.post(f"/api/v1/cases/{case['id']}/reassign",
                           json={"role": "social_worker", "caseworker_id": carla["id"], "reason": "Elternzeit"},
                           headers=tokens.staff())
    assert response.status_code == 200 and response.json["social_worker"]["id"] == carla["id"]
    event = capture.wait_for("support.case.reassigned")
    assert event["data"]["previous_caseworker_id"] == ben["id"] and event["data"]["caseworker_id"] == carla["id"]
    scheduled = client.get(BOOK.format(case["id"]) + "?status=scheduled", headers=tokens.staff()).json
    assert len(scheduled) == 7 and {a["caseworker_id"] for a in scheduled} == {carla["id"]}
    same_again = client.post(f"/api/v1/cases/{case['id']}/reassign",
                             json={"role": "social_worker", "caseworker_id": carla["id"], "reason": "nochmal"},
                             headers=tokens.staff())
    assert same_again.status_code == 409


def test_calendar_feed_parses_and_carries_no_household_data(client, tokens, db, clock):
    anna, ben, case = _setup(client, tokens, db, clock)
    response = client.get(f"/api/v1/caseworkers/{ben['id']}/calendar.ics", headers=tokens.caseworker(ben["id"]))
    assert response.status_code == 200 and response.content_type.startswith("text/calendar")
    cal = icalendar.Calendar.from_ical(response.data)
    events = cal.walk("VEVENT")
    assert len(events) == 7
    assert all(case["reference"] in str(e["SUMMARY"]) and str(e["SUMMARY"]).startswith("Hausbesuch") for e in events)
    text = response.data.decode()
    for secret in ("Familie Beispiel", "familie@example.org", "Königstraße", "0711 000000"):
        assert secret not in text

    assert client.get(f"/api/v1/caseworkers/{ben['id']}/calendar.ics",
                      headers=tokens.caseworker(anna["id"])).status_code == 404
    assert client.get(f"/api/v1/caseworkers/{ben['id']}/calendar.ics").status_code == 401
    issued = client.post(f"/api/v1/caseworkers/{ben['id']}/calendar-token", headers=tokens.caseworker(ben["id"]))
    assert issued.status_code == 201
    by_secret = client.get(f"/api/v1/caseworkers/{ben['id']}/calendar.ics?token={issued.json['calendar_token']}")
    assert by_secret.status_code == 200 and by_secret.data == response.data
    assert client.get(f"/api/v1/caseworkers/{ben['id']}/calendar.ics?token=wrong").status_code == 404
    assert client.get(f"/api/v1/caseworkers/{anna['id']}/calendar.ics?token={issued.json['calendar_token']}").status_code == 404


def test_caseworker_books_only_for_themself_and_clears_risk_on_own_case(client, tokens, db, clock):
    from support_testing import deliver

    anna, ben, case = _setup(client, tokens, db, clock)
    foreign = client.post(BOOK.format(case["id"]), json={"kind": "phone_call", "starts_at": "2026-06-09T10:00:00+02:00",
                                                         "caseworker_id": anna["id"]}, headers=tokens.caseworker(ben["id"]))
    assert foreign.status_code == 403
    own = client.post(BOOK.format(case["id"]), json={"kind": "phone_call", "starts_at": "2026-06-09T10:00:00+02:00"},
                      headers=tokens.caseworker(ben["id"]))
    assert own.status_code == 201 and own.json["caseworker_id"] == ben["id"]

    assert client.post(f"/api/v1/cases/{case['id']}/risk/clear", headers=tokens.staff()).status_code == 409
    deliver(db, clock, "contracts.incident.reported", {"incident_id": "i-7", "proposal_id": case["proposal_id"]})
    assert client.get("/api/v1/cases?at_risk=true", headers=tokens.staff()).json[0]["id"] == case["id"]
    cleared = client.post(f"/api/v1/cases/{case['id']}/risk/clear", headers=tokens.caseworker(anna["id"]))
    assert cleared.status_code == 200 and cleared.json["at_risk"] is False
    assert client.get("/api/v1/cases?at_risk=true", headers=tokens.staff()).json == []


def test_booking_across_the_spring_dst_change_judges_the_instant_on_the_berlin_clock(client, tokens, db, clock):
    from datetime import datetime, timezone

    clock.freeze(datetime(2026, 3, 23, 8, tzinfo=timezone.utc))
    anna = register(client, tokens, roles=["contact_person"])
    register(client, tokens, roles=["social_worker"])
    case = open_case(client, db, clock, tokens, lease_start="2026-06-01")

    def book(starts_at):
        return client.post(BOOK.format(case["id"]), json={"kind": "office_meeting", "starts_at": starts_at,
                                                          "duration_minutes": 30}, headers=tokens.caseworker(anna["id"]))

    # Monday after the change: 08:00 CEST is 06:00 UTC, the first slot of the day
    ok = book("2026-03-30T06:00:00Z")
    assert ok.status_code == 201 and ok.json["starts_at"].startswith("2026-03-30T06:00:00")
    # 07:30 CEST is before opening, even though 07:30 would be 08:30 in winter time
    assert "outside_office_hours" in book("2026-03-30T07:30:00+02:00").json["violations"]
    # the same instant written with the winter offset is the same (taken) slot
    assert book("2026-03-30T07:00:00+01:00").status_code == 409
    # Friday before the change: the office closes 13:00 CET = 12:00 UTC
    assert book("2026-03-27T11:30:00Z").status_code == 201
    assert "outside_office_hours" in book("2026-03-27T12:00:00Z").json["violations"]


def test_absence_can_be_removed_again(client, tokens):
    anna = register(client, tokens)
    added = client.post(f"/api/v1/caseworkers/{anna['id']}/absences", json={"first_day": "2027-01-04", "last_day": "2027-01-08"},
                        headers=tokens.caseworker(anna["id"]))
    assert added.status_code == 201
    url = f"/api/v1/caseworkers/{anna['id']}/absences/{added.json['id']}"
    assert client.delete(url, headers=tokens.staff()).status_code == 204
    assert client.delete(url, headers=tokens.staff()).status_code == 404
    assert client.get(f"/api/v1/caseworkers/{anna['id']}", headers=tokens.staff()).json["absences"] == []
