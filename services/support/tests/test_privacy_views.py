"""Who sees which case, which fields each role gets, and that every read of a household's data is
in the access log the data protection officer reads."""

from __future__ import annotations

from sqlalchemy import select

from servicekit.db.tables import access_log

from support.schemas import COMPANY_CASE_FIELDS, CaseDetailOut, CaseOut
from support_testing import MONDAY, open_case, register

BOOK = "/api/v1/cases/{}/appointments"


def _setup(client, tokens, db, clock):
    clock.freeze(MONDAY)
    anna = register(client, tokens, name="Anna", roles=["contact_person"])
    ben = register(client, tokens, name="Ben", roles=["social_worker"])
    return anna, ben, open_case(client, db, clock, tokens)


def _sees(client, headers, case) -> bool:
    detail = client.get(f"/api/v1/cases/{case['id']}", headers=headers).status_code
    listed = [c["id"] for c in client.get("/api/v1/cases", headers=headers).json]
    assert (detail == 200) == (case["id"] in listed), "list and detail must agree"
    return detail == 200


def test_a_caseworker_sees_only_the_cases_they_work_on(client, tokens, db, clock):
    anna, ben, case = _setup(client, tokens, db, clock)
    cleo = register(client, tokens, name="Cleo", roles=["contact_person"])
    as_anna, as_ben, as_cleo = (tokens.caseworker(p["id"]) for p in (anna, ben, cleo))
    assert _sees(client, as_anna, case) and _sees(client, as_ben, case) and not _sees(client, as_cleo, case)

    # a stand-in sees the case while their appointment in it is booked, not after it was cancelled
    standin = client.post(BOOK.format(case["id"]), json={"kind": "phone_call", "starts_at": "2026-06-09T10:00:00+02:00",
                                                         "caseworker_id": cleo["id"]}, headers=tokens.staff())
    assert standin.status_code == 201
    assert _sees(client, as_cleo, case)
    client.post(f"/api/v1/appointments/{standin.json['id']}/cancel", json={"reason": "entfällt"}, headers=tokens.staff())
    assert not _sees(client, as_cleo, case)
    assert client.get(f"/api/v1/cases/{case['id']}/appointments", headers=as_cleo).status_code == 404
    assert client.get(f"/api/v1/appointments/{standin.json['id']}", headers=as_cleo).status_code == 200  # her own

    # after a reassignment the previous contact person loses the case and its appointments
    anna_visit = client.post(BOOK.format(case["id"]), json={"kind": "office_meeting", "starts_at": "2026-06-10T10:00:00+02:00"},
                             headers=as_anna).json
    moved = client.post(f"/api/v1/cases/{case['id']}/reassign",
                        json={"role": "contact_person", "caseworker_id": cleo["id"], "reason": "Elternzeit"}, headers=tokens.staff())
    assert moved.status_code == 200
    assert not _sees(client, as_anna, case) and _sees(client, as_cleo, case)
    ben_visit = client.get(BOOK.format(case["id"]) + "?status=scheduled", headers=as_ben).json
    ben_visit = next(a for a in ben_visit if a["caseworker_id"] == ben["id"])
    assert client.get(f"/api/v1/appointments/{ben_visit['id']}", headers=as_anna).status_code == 404
    assert anna_visit["id"] not in [a["id"] for a in client.get("/api/v1/appointments", headers=as_anna).json
                                    if a["status"] == "scheduled"]

    # a deactivated caseworker sees nothing any more
    client.patch(f"/api/v1/caseworkers/{ben['id']}", json={"active": False}, headers=tokens.admin())
    assert not _sees(client, as_ben, case)
    assert client.get("/api/v1/appointments", headers=as_ben).json == []


def test_a_caseworker_with_an_identity_provider_subject_is_found_by_that_subject_only(client, tokens, db, clock):
    clock.freeze(MONDAY)
    dora = register(client, tokens, name="Dora", roles=["contact_person"], subject="idp|dora")
    register(client, tokens, name="Ben", roles=["social_worker"])
    case = open_case(client, db, clock, tokens)
    assert case["contact_person"]["id"] == dora["id"]
    assert _sees(client, tokens.caseworker("idp|dora"), case)
    assert not _sees(client, tokens.caseworker(dora["id"]), case)


def test_each_role_receives_only_its_fields(client, tokens, db, clock):
    anna, _, case = _setup(client, tokens, db, clock)
    url = f"/api/v1/cases/{case['id']}"
    detail_fields = set(CaseDetailOut().fields)
    for headers in (tokens.staff(), tokens.admin(), tokens.caseworker(anna["id"])):
        detail = client.get(url, headers=headers).json
        assert set(detail) == detail_fields and detail["household_name"] == "Familie Beispiel"
        assert set(client.get("/api/v1/cases", headers=headers).json[0]) == set(CaseOut().fields)

    company = tokens.company(case["company_id"])
    detail = client.get(url, headers=company).json
    assert set(detail) == COMPANY_CASE_FIELDS and detail["contact_person"]["name"] == "Anna"
    assert [set(c) for c in client.get("/api/v1/cases", headers=company).json] == [COMPANY_CASE_FIELDS]
    for field in ("at_risk", "outcome", "close_reason", "household_name", "street", "social_worker"):
        assert field not in detail
    for headers in (tokens.finance(), tokens.headers("dpo")):
        assert client.get(url, headers=headers).status_code == 403
        assert client.get("/api/v1/appointments", headers=headers).status_code == 403


def _log(db):
    with db.session() as s:
        return [(r.actor, r.actor_role, r.household_id, r.purpose, r.operation)
                for r in s.execute(select(access_log).order_by(access_log.c.id))]


def test_every_read_of_household_data_is_logged_and_the_dpo_reads_the_log(client, tokens, db, clock):
    anna, ben, case = _setup(client, tokens, db, clock)
    household = case["household_id"]
    before = len(_log(db))  # open_case listed the cases as staff
    assert before == 1
    as_anna = tokens.caseworker(anna["id"])
    visit = client.get(BOOK.format(case["id"]), headers=as_anna).json[0]
    client.get(f"/api/v1/appointments/{visit['id']}", headers=tokens.staff())
    client.get(f"/api/v1/cases/{case['id']}", headers=tokens.company(case["company_id"], sub="hausverwaltung-1"))
    client.get("/api/v1/appointments", headers=tokens.caseworker(ben["id"]))
    client.get(f"/api/v1/cases/{case['id']}", headers=tokens.caseworker("nobody"))  # 404: nothing handed out
    client.get("/api/v1/caseworkers", headers=tokens.staff())  # staff data, no household
    client.get(f"/api/v1/caseworkers/{anna['id']}/calendar.ics", headers=as_anna)  # no household data in it

    assert _log(db)[before:] == [
        (anna["id"], "caseworker", household, "social_support", "GET /api/v1/cases/<string:case_id>/appointments"),
        ("test-staff", "staff", household, "referral_and_placement", "GET /api/v1/appointments/<string:appointment_id>"),
        ("hausverwaltung-1", "company", household, "tenancy_management", "GET /api/v1/cases/<string:case_id>"),
        (ben["id"], "caseworker", household, "social_support", "GET /api/v1/appointments"),
    ]

    assert client.get("/api/v1/privacy/access-log", headers=tokens.staff()).status_code == 403
    entries = client.get(f"/api/v1/privacy/access-log?household_id={household}", headers=tokens.headers("dpo")).json
    assert [e["actor"] for e in entries][:2] == [ben["id"], "hausverwaltung-1"]
    assert len(entries) == 5
