"""Erasure of a household on request (the event from matching, on the real broker) and by the
retention job: no personal value is left in any table, what the statistics need stays."""

from __future__ import annotations

import json
import uuid

from sqlalchemy import func, select

from servicekit.db.tables import outbox
from servicekit.testing import stored_values

from support import jobs
from support.models import Appointment, Crisis, SupportCase
from support_testing import MONDAY, deliver, open_case, register

SECRETS = ("Familie Beispiel", "familie@example.org", "0711 000000", "Königstraße", "70173",
           "Mutter im Krankenhaus", "Schulden beim Energieversorger", "Trennung der Eltern", "AS-2026-0001")
OTHER = {"household": {"name": "Familie Anders", "email": "anders@example.org", "phone": "0711 999999", "size": 2},
         "household_reference": "AS-2026-0002",
         "address": {"street": "Am Wall 3", "postal_code": "70199", "city": "Stuttgart", "district": "Süd"}}


def everything_stored(db) -> str:
    """All text of all rows of every table, with encrypted values decrypted: what a scan would find."""
    return "\n".join(value for _, value in stored_values(db.engine))


def _case_with_history(client, tokens, db, clock, *, close: bool):
    """A case with every kind of free text support stores about a household."""
    case = open_case(client, db, clock, tokens)
    visits = client.get(f"/api/v1/cases/{case['id']}/appointments", headers=tokens.staff()).json
    client.post(f"/api/v1/appointments/{visits[1]['id']}/cancel", json={"reason": "Mutter im Krankenhaus"},
                headers=tokens.staff())
    deliver(db, clock, "contracts.claim.submitted", {"claim_id": str(uuid.uuid4()), "proposal_id": case["proposal_id"],
                                                     "kind": "rent_arrears", "amount_cents": 120000})
    clock.advance(days=10)
    done = client.post(f"/api/v1/appointments/{visits[0]['id']}/complete",
                       json={"outcome": "Schulden beim Energieversorger"}, headers=tokens.staff())
    assert done.status_code == 200
    if close:
        closed = client.post(f"/api/v1/cases/{case['id']}/close", json={"outcome": "other", "reason": "Trennung der Eltern"},
                             headers=tokens.staff())
        assert closed.status_code == 200
    return case


def test_erasure_request_leaves_no_personal_value_and_keeps_the_statistics(
    client, tokens, db, clock, bus, worker, wait_until, handle_event
):
    clock.freeze(MONDAY)
    anna = register(client, tokens, name="Anna", roles=["contact_person"])
    register(client, tokens, name="Ben", roles=["social_worker"])
    case = _case_with_history(client, tokens, db, clock, close=False)
    other = open_case(client, db, clock, tokens, **OTHER)
    household = case["household_id"]
    before = client.get(f"/api/v1/cases/{case['id']}/appointments", headers=tokens.staff()).json
    future = [a["id"] for a in before if a["status"] == "scheduled" and a["starts_at"] > clock.now().isoformat()]
    assert future and all(s in everything_stored(db) for s in SECRETS if s != "Trennung der Eltern")  # still open

    def all_sent():
        with db.session() as s:
            return s.scalar(select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))) == 0

    wait_until(all_sent)  # the relay has sent the events that carried the name; they are erased too
    capture = bus.capture("support.#")
    request_id = str(uuid.uuid4())
    request = bus.publish("matching.household.erasure_requested",
                          {"household_id": household, "request_id": request_id, "reason": "request"}, source="matching")

    answer = capture.wait_for("support.household.erased", lambda e: e["data"]["household_id"] == household)
    assert answer["data"] == {"household_id": household, "request_id": request_id, "status": "erased", "hold": None}
    closed = capture.wait_for("support.case.closed", lambda e: e["data"]["case_id"] == case["id"])
    assert closed["data"]["outcome"] == "erased" and closed["data"]["reason"] is None
    wait_until(lambda: {e["data"]["appointment_id"] for e in capture.of_type("support.appointment.cancelled")} >= set(future))

    stored = everything_stored(db)
    for secret in SECRETS:
        assert secret not in stored, secret
    assert "Familie Anders" in stored and "anders@example.org" in stored  # another household is untouched

    with db.session() as s:
        erased = s.get(SupportCase, case["id"])
        assert (erased.status, erased.outcome, erased.household_id, erased.contact_person_id, erased.household_size) == \
            ("closed", "erased", household, anna["id"], 3)
        assert erased.opened_at and erased.closed_at and erased.erased_at and erased.reference == case["reference"]
        erased_at = erased.erased_at
        appointments = s.scalars(select(Appointment).where(Appointment.case_id == case["id"])).all()
        assert len(appointments) == len(before) and {"completed", "cancelled"} <= {a.status for a in appointments}
        assert not [a for a in appointments if a.status == "scheduled" and a.starts_at > clock.now()]
        assert all(a.outcome_note is None and a.cancel_reason is None for a in appointments)
        assert [c.trigger for c in s.scalars(select(Crisis).where(Crisis.case_id == case["id"]))] == ["rent_arrears"]
        assert s.get(SupportCase, other["id"]).household_name == "Familie Anders"
    staff_view = client.get(f"/api/v1/cases/{case['id']}", headers=tokens.staff()).json
    assert staff_view["household_name"] is None and staff_view["outcome"] == "erased"

    # the same event again is a duplicate; a new request is answered again and changes nothing
    assert handle_event("matching.household.erasure_requested", request.data, event_id=request.id)[0] == "duplicate"
    again = str(uuid.uuid4())
    handle_event("matching.household.erasure_requested", {"household_id": household, "request_id": again, "reason": "request"})
    with db.session() as s:
        bodies = [json.loads(b) for b in s.scalars(select(outbox.c.body).where(outbox.c.published_at.is_(None)))]
    assert [(b["type"], b["data"]["request_id"]) for b in bodies] == [("support.household.erased", again)]
    with db.session() as s:
        assert s.get(SupportCase, case["id"]).erased_at == erased_at


def test_a_household_support_never_knew_is_answered_as_erased(handle_event, db):
    household = str(uuid.uuid4())
    outcome, _ = handle_event("matching.household.erasure_requested",
                              {"household_id": household, "request_id": "r-1", "reason": "retention"})
    assert outcome == "handled"
    with db.session() as s:
        [body] = [json.loads(b) for b in s.scalars(select(outbox.c.body))]
    assert body["type"] == "support.household.erased" and body["data"]["status"] == "erased"
    bad, _ = handle_event("matching.household.erasure_requested", {"request_id": "r-2"})
    assert bad == "dead_letter"


def relay_has_run(db):
    """Three years on, the relay has long sent every event (it runs within seconds)."""
    with db.engine.begin() as conn:
        conn.execute(outbox.update().where(outbox.c.published_at.is_(None)).values(published_at=func.now()))


def test_retention_erases_cases_closed_longer_than_the_period(client, tokens, db, clock, job_context, monkeypatch):
    clock.freeze(MONDAY)
    register(client, tokens, name="Anna", roles=["contact_person"])
    register(client, tokens, name="Ben", roles=["social_worker"])
    old = _case_with_history(client, tokens, db, clock, close=True)
    recent = open_case(client, db, clock, tokens, **OTHER)

    relay_has_run(db)
    clock.advance(days=1094)
    assert jobs.retention(job_context) == {"erased": 0, "failed": 0}
    assert "Trennung der Eltern" in everything_stored(db)
    clock.advance(days=2)
    assert jobs.retention(job_context) == {"erased": 1, "failed": 0}
    stored = everything_stored(db)
    for secret in SECRETS:
        assert secret not in stored, secret
    with db.session() as s:
        case = s.get(SupportCase, old["id"])
        assert (case.status, case.outcome, case.household_size) == ("closed", "other", 3)
        assert s.get(SupportCase, recent["id"]).household_name == "Familie Anders"  # still open: kept
    assert jobs.retention(job_context) == {"erased": 0, "failed": 0}

    # the period is configuration: with 30 days, a case closed 40 days ago is due
    chosen = client.post(f"/api/v1/cases/{recent['id']}/close", json={"outcome": "erased"}, headers=tokens.staff())
    assert chosen.status_code == 422 and "outcome" in chosen.json["errors"]["json"]  # only the erasure sets it
    client.post(f"/api/v1/cases/{recent['id']}/close", json={"outcome": "moved_out"}, headers=tokens.staff())
    relay_has_run(db)
    clock.advance(days=40)
    assert jobs.retention(job_context) == {"erased": 0, "failed": 0}
    monkeypatch.setenv("RETENTION_CASE_CLOSED_DAYS", "30")
    assert jobs.retention(job_context) == {"erased": 1, "failed": 0}
    assert "Familie Anders" not in everything_stored(db)
