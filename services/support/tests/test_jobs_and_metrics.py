"""Periodic jobs with the injectable clock, and the business metrics."""

from datetime import timedelta

from prometheus_client import CollectorRegistry, generate_latest
from sqlalchemy import func, select

from servicekit.workdays import BERLIN

from support import jobs, metrics
from support.models import Appointment, Crisis, SupportCase
from support_testing import MONDAY, deliver, register, tenancy


def _scheduled(db):
    with db.session() as s:
        return s.execute(select(Appointment.plan_key, Appointment.starts_at).where(Appointment.status == "scheduled")
                         .order_by(Appointment.starts_at)).all()


def test_rolling_horizon_books_ahead_as_time_passes_and_never_twice(client, tokens, db, clock, job_context):
    clock.freeze(MONDAY)
    register(client, tokens)
    deliver(db, clock, "matching.tenancy.agreed", tenancy())
    first = _scheduled(db)
    assert len(first) == 7
    assert jobs.plan_appointments(job_context)["booked"] == 0  # nothing new today

    clock.advance(weeks=10)  # deep into the intensive phase; its weekly visits keep coming
    jobs.plan_appointments(job_context)
    keys = [k for k, _ in _scheduled(db)]
    assert len(keys) == len(set(keys))
    assert max(s for _, s in _scheduled(db)) > clock.now() + timedelta(weeks=5)
    assert {"intensive-9", "stabilising-0"} <= set(keys)

    clock.advance(weeks=60)  # year two: monthly
    jobs.plan_appointments(job_context)
    upcoming = [(k, s) for k, s in _scheduled(db) if s > clock.now()]
    assert upcoming and all(k.startswith("consolidating") for k, _ in upcoming)
    assert len(upcoming) <= 3


def test_waiting_case_gets_a_team_once_someone_is_registered(client, tokens, db, clock, job_context):
    clock.freeze(MONDAY)
    deliver(db, clock, "matching.tenancy.agreed", tenancy())
    with db.session() as s:
        assert s.scalar(select(SupportCase.contact_person_id)) is None
    register(client, tokens)
    assert jobs.plan_appointments(job_context)["assigned"] == 1
    with db.session() as s:
        assert s.scalar(select(SupportCase.contact_person_id)) is not None
        assert s.scalar(select(func.count()).select_from(Appointment)) == 7


def test_crisis_without_anyone_free_is_breached_after_the_deadline(client, tokens, db, clock, job_context, bus, worker):
    clock.freeze(MONDAY)  # Monday 9:00; deadline Wednesday 17:00
    anna = register(client, tokens, roles=["contact_person", "social_worker"])
    deliver(db, clock, "matching.tenancy.agreed", tenancy(lease_start="2026-09-01"))
    with db.session() as s:
        case = s.scalar(select(SupportCase))
    client.post(f"/api/v1/caseworkers/{anna['id']}/absences", json={"first_day": "2026-06-08", "last_day": "2026-06-12"},
                headers=tokens.staff())
    capture = bus.capture("support.crisis.breached")
    deliver(db, clock, "contracts.incident.reported", {"incident_id": "i-1", "contract_id": None,
                                                       "proposal_id": case.proposal_id, "kind": "conflict"})
    listed = client.get("/api/v1/crises?status=pending", headers=tokens.staff()).json
    assert len(listed) == 1 and listed[0]["appointment_id"] is None
    assert jobs.crisis_deadlines(job_context) == 0  # still time

    clock.advance(days=3)  # Thursday morning
    assert jobs.crisis_deadlines(job_context) == 1
    assert jobs.crisis_deadlines(job_context) == 0  # decided once
    breached = client.get("/api/v1/crises?status=breached", headers=tokens.staff()).json
    assert [c["id"] for c in breached] == [listed[0]["id"]]
    assert capture.wait_for("support.crisis.breached")["data"]["crisis_id"] == listed[0]["id"]


def test_crisis_goes_to_a_substitute_across_a_holiday(client, tokens, db, clock):
    # Wednesday 3 June 2026, 16:30: Corpus Christi on Thursday; day 1 is Friday, day 2 Monday 8th
    clock.freeze(MONDAY.replace(day=3, hour=14, minute=30))
    people = [register(client, tokens, name=n, roles=["contact_person", "social_worker"]) for n in ("Anna", "Ben")]
    deliver(db, clock, "matching.tenancy.agreed", tenancy(lease_start="2026-09-01"))
    with db.session() as s:
        case = s.scalar(select(SupportCase))
    contact = case.contact_person_id
    substitute = next(p["id"] for p in people if p["id"] != contact)
    client.post(f"/api/v1/caseworkers/{contact}/absences", json={"first_day": "2026-06-04", "last_day": "2026-06-19"},
                headers=tokens.staff())
    deliver(db, clock, "contracts.claim.submitted", {"claim_id": "c-1", "contract_id": None, "kind": "rent_arrears",
                                                     "proposal_id": case.proposal_id, "amount_cents": 90000})
    with db.session() as s:
        crisis = s.scalar(select(Crisis))
        appointment = s.get(Appointment, crisis.appointment_id)
    assert crisis.deadline.astimezone(BERLIN).date().isoformat() == "2026-06-08"
    assert crisis.substitute and appointment.caseworker_id == substitute
    assert appointment.starts_at.astimezone(BERLIN).date().isoformat() == "2026-06-05"  # Friday, not the holiday
    assert crisis.status == "met"


def test_metrics_show_cases_risk_caseload_appointments_and_crises(client, tokens, db, clock):
    clock.freeze(MONDAY)
    anna = register(client, tokens, max_cases=2)
    for _ in range(2):
        deliver(db, clock, "matching.tenancy.agreed", tenancy())
    with db.session() as s:
        proposal = s.scalar(select(SupportCase.proposal_id))
    deliver(db, clock, "contracts.incident.reported", {"incident_id": "i-9", "proposal_id": proposal, "kind": "x"})
    deliver(db, clock, "matching.tenancy.agreed", tenancy())  # third case: nobody has room

    registry = CollectorRegistry()

    class _C:
        def collect(self):
            with db.session() as s:
                yield from metrics.collect(s)

    registry.register(_C())
    value = registry.get_sample_value
    assert value("support_cases", {"status": "open"}) == 3
    assert value("support_cases_at_risk") == 1
    assert value("support_cases_awaiting_assignment") == 1
    assert value("support_caseworker_open_cases") == 2
    assert value("support_caseworker_capacity") == 2
    assert value("support_caseworker_max_utilisation") == 1.0
    assert value("support_caseworkers_by_utilisation", {"band": "full"}) == 1
    # no label names a person: the scrape once listed every caseworker's id with their case count
    text = generate_latest(registry).decode()
    assert anna["id"] not in text and "caseworker_id" not in text
    assert value("support_appointments", {"status": "scheduled"}) == 2 * 7 + 1
    assert value("support_crisis_deadlines", {"status": "met"}) == 1
    assert value("support_cases_needing_reassignment") == 0
    client.patch(f"/api/v1/caseworkers/{anna['id']}", json={"active": False}, headers=tokens.admin())
    assert value("support_cases_needing_reassignment") == 2


def test_crisis_appointment_moves_to_a_stand_in_when_the_contact_person_falls_ill(client, tokens, db, clock, job_context):
    clock.freeze(MONDAY)
    people = [register(client, tokens, name=n, roles=["contact_person", "social_worker"]) for n in ("Anna", "Ben")]
    deliver(db, clock, "matching.tenancy.agreed", tenancy(lease_start="2026-09-01"))
    with db.session() as s:
        case = s.scalar(select(SupportCase))
    deliver(db, clock, "contracts.incident.reported", {"incident_id": "i-2", "proposal_id": case.proposal_id})
    with db.session() as s:
        crisis = s.scalar(select(Crisis))
        first = s.get(Appointment, crisis.appointment_id)
    assert first.caseworker_id == case.contact_person_id and crisis.status == "met"
    day = first.starts_at.astimezone(BERLIN).date().isoformat()
    client.post(f"/api/v1/caseworkers/{case.contact_person_id}/absences",
                json={"first_day": day, "last_day": "2026-06-19", "kind": "sick_leave"}, headers=tokens.staff())
    with db.session() as s:
        crisis = s.scalar(select(Crisis))
        again = s.get(Appointment, crisis.appointment_id)
        assert s.get(Appointment, first.id).status == "cancelled"
    stand_in = next(p["id"] for p in people if p["id"] != case.contact_person_id)
    assert again.caseworker_id == stand_in and crisis.substitute and crisis.status == "met"
    assert again.ends_at <= crisis.deadline


def test_crisis_booked_by_hand_before_the_deadline_counts_as_met(client, tokens, db, clock, job_context):
    clock.freeze(MONDAY)
    anna = register(client, tokens)
    deliver(db, clock, "matching.tenancy.agreed", tenancy(lease_start="2026-09-01"))
    with db.session() as s:
        case = s.scalar(select(SupportCase))
    absence = client.post(f"/api/v1/caseworkers/{anna['id']}/absences",
                          json={"first_day": "2026-06-08", "last_day": "2026-06-12"}, headers=tokens.staff()).json
    deliver(db, clock, "contracts.incident.reported", {"incident_id": "i-3", "proposal_id": case.proposal_id})
    assert client.get("/api/v1/crises?status=pending", headers=tokens.staff()).json[0]["appointment_id"] is None
    # the absence is called off; staff book the crisis appointment themselves
    client.delete(f"/api/v1/caseworkers/{anna['id']}/absences/{absence['id']}", headers=tokens.staff())
    booked = client.post(f"/api/v1/cases/{case.id}/appointments",
                         json={"kind": "crisis", "starts_at": "2026-06-09T11:00:00+02:00"}, headers=tokens.staff())
    assert booked.status_code == 201 and booked.json["crisis_id"]
    [crisis] = client.get("/api/v1/crises?status=met", headers=tokens.staff()).json
    assert crisis["appointment_id"] == booked.json["id"]
    clock.advance(days=5)
    assert jobs.crisis_deadlines(job_context) == 0
