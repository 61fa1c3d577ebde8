"""The events support consumes and publishes, on the real broker (worker threads running)."""

import uuid
from datetime import datetime

from sqlalchemy import func, select

from servicekit.db import audit_log
from servicekit.workdays import BERLIN, is_working_day

from support import jobs
from support.models import Appointment, Crisis, SupportCase
from support_testing import MONDAY, register, tenancy


def _count(db, model, *where):
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def _consumed(event_type, outcome):
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value("bus_events_consumed_total",
                                     {"service": "support", "type": event_type, "outcome": outcome}) or 0


def test_tenancy_agreed_opens_case_with_contact_person_and_books_the_first_weeks(
    client, tokens, worker, bus, db, clock, wait_until, job_context
):
    clock.freeze(MONDAY)
    anna = register(client, tokens, name="Anna Contact", roles=["contact_person"], phone="0711 1")
    ben = register(client, tokens, name="Ben Social", roles=["social_worker"])
    capture = bus.capture("support.#")
    data = tenancy()
    event = bus.publish("matching.tenancy.agreed", data, source="matching")
    bus.publish("matching.tenancy.agreed", data, event_id=event.id, source="matching")  # redelivered

    opened = capture.wait_for("support.case.opened", lambda e: e["data"]["household_id"] == data["household_id"])
    body = opened["data"]
    assert body["contact_person"] == {"id": anna["id"], "name": "Anna Contact", "email": anna["email"], "phone": "0711 1"}
    assert body["contact_person_id"] == anna["id"] and body["social_worker_id"] == ben["id"]
    assert body["company_id"] == data["company_id"] and body["contract_id"] is None
    assert body["household"]["email"] == "familie@example.org"
    assert opened["correlation_id"] == event.correlation_id

    # the event's transaction books the first visit only; the book-new-cases job the rest
    [first] = wait_until(lambda: capture.of_type("support.appointment.scheduled"))
    assert first["data"]["case_id"] == body["case_id"] and first["correlation_id"] == event.correlation_id
    assert _count(db, Appointment, Appointment.case_id == body["case_id"]) == 1
    assert jobs.book_new_cases(job_context) == 6
    assert jobs.book_new_cases(job_context) == 0  # never twice
    scheduled = wait_until(lambda: len(capture.of_type("support.appointment.scheduled")) >= 7 and
                           capture.of_type("support.appointment.scheduled"))
    for e in scheduled:
        start = datetime.fromisoformat(e["data"]["starts_at"].replace("Z", "+00:00")).astimezone(BERLIN)
        assert e["data"]["caseworker_id"] == ben["id"] and e["data"]["kind"] == "home_visit"
        assert is_working_day(start.date()) and 8 <= start.hour < 17
    wait_until(lambda: _consumed("matching.tenancy.agreed", "duplicate") >= 1)
    assert _count(db, SupportCase, SupportCase.household_id == data["household_id"]) == 1
    case_id = body["case_id"]
    # lease starts Monday 15 June; 8-week horizon from 8 June: 7 weekly visits are due in it
    assert _count(db, Appointment, Appointment.case_id == case_id) == 7


def test_contract_link_incident_and_rent_arrears_raise_one_crisis_each(client, tokens, worker, bus, db, clock, wait_until):
    clock.freeze(MONDAY)
    anna = register(client, tokens, name="Anna", roles=["contact_person", "social_worker"])
    data = tenancy()
    bus.publish("matching.tenancy.agreed", data, source="matching")
    wait_until(lambda: _count(db, SupportCase, SupportCase.household_id == data["household_id"]) == 1)
    contract_id = str(uuid.uuid4())
    bus.publish("contracts.contract.created", {"contract_id": contract_id, "contract_no": "GV-2026-1",
                                               "proposal_id": data["proposal_id"],
                                               "company_id": data["company_id"], "household_id": data["household_id"],
                                               "term_start": "2026-06-15", "term_end": "2031-06-14"}, source="contracts")
    wait_until(lambda: _count(db, SupportCase, SupportCase.contract_id == contract_id) == 1)

    capture = bus.capture("support.#")
    incident = {"incident_id": str(uuid.uuid4()), "contract_id": contract_id, "proposal_id": data["proposal_id"],
                "household_id": None,
                "company_id": data["company_id"], "kind": "noise", "severity": "high"}
    first = bus.publish("contracts.incident.reported", incident, source="contracts")
    bus.publish("contracts.incident.reported", incident, event_id=first.id, source="contracts")
    bus.publish("contracts.incident.reported", incident, source="contracts")  # re-published under a new id
    at_risk = capture.wait_for("support.case.at_risk")
    crisis_appt = capture.wait_for("support.appointment.scheduled", lambda e: e["data"]["kind"] == "crisis")
    assert crisis_appt["data"]["caseworker_id"] == anna["id"]
    assert crisis_appt["data"]["starts_at"] <= at_risk["data"]["deadline"]

    bus.publish("contracts.claim.submitted", {"claim_id": str(uuid.uuid4()), "contract_id": contract_id,
                                              "proposal_id": data["proposal_id"],
                                              "household_id": data["household_id"], "company_id": data["company_id"],
                                              "kind": "damage", "amount_cents": 50000}, source="contracts")
    bus.publish("contracts.claim.submitted", {"claim_id": str(uuid.uuid4()), "contract_id": contract_id,
                                              "proposal_id": data["proposal_id"],
                                              "household_id": data["household_id"], "company_id": data["company_id"],
                                              "kind": "rent_arrears", "amount_cents": 120000}, source="contracts")
    wait_until(lambda: _count(db, Crisis) == 2)
    wait_until(lambda: _consumed("contracts.claim.submitted", "handled") >= 2)
    with db.session() as s:
        triggers = sorted(s.scalars(select(Crisis.trigger)))
        assert triggers == ["incident", "rent_arrears"]
        assert set(s.scalars(select(Crisis.status))) == {"met"}
        assert s.scalar(select(SupportCase.at_risk).where(SupportCase.contract_id == contract_id)) is True


def test_expiry_closes_with_recorded_outcome_and_cancels_future_appointments(
    client, tokens, worker, bus, db, clock, wait_until, job_context
):
    clock.freeze(MONDAY)
    register(client, tokens)
    data = tenancy()
    bus.publish("matching.tenancy.agreed", data, source="matching")
    wait_until(lambda: _count(db, Appointment) == 1)
    jobs.book_new_cases(job_context)
    assert _count(db, Appointment) == 7
    with db.session() as s:
        case_id = s.scalar(select(SupportCase.id))
    assert client.post(f"/api/v1/cases/{case_id}/outcome", json={"outcome": "living_independently"},
                       headers=tokens.staff()).status_code == 200
    capture = bus.capture("support.#")
    contract = {"contract_id": str(uuid.uuid4()), "contract_no": "GV-1", "proposal_id": data["proposal_id"],
                "company_id": data["company_id"], "household_id": data["household_id"],
                "term_start": "2021-06-15", "term_end": "2026-06-14"}
    event = bus.publish("contracts.contract.expired", contract, source="contracts")
    bus.publish("contracts.contract.expired", contract, event_id=event.id, source="contracts")
    closed = capture.wait_for("support.case.closed")
    assert closed["data"]["outcome"] == "living_independently" and closed["data"]["case_id"] == case_id
    wait_until(lambda: len(capture.of_type("support.appointment.cancelled")) == 7)
    wait_until(lambda: _consumed("contracts.contract.expired", "duplicate") >= 1)
    assert len(capture.of_type("support.case.closed")) == 1
    assert _count(db, Appointment, Appointment.status == "scheduled") == 0


def test_termination_closes_with_the_reason(client, tokens, worker, bus, db, clock, wait_until):
    clock.freeze(MONDAY)
    register(client, tokens)
    data = tenancy()
    bus.publish("matching.tenancy.agreed", data, source="matching")
    wait_until(lambda: _count(db, SupportCase) == 1)
    capture = bus.capture("support.case.closed")
    bus.publish("contracts.contract.terminated", {"contract_id": str(uuid.uuid4()), "proposal_id": data["proposal_id"],
                                                  "company_id": data["company_id"],
                                                  "household_id": data["household_id"], "reason": "moved_out"},
                source="contracts")
    closed = capture.wait_for("support.case.closed")
    assert closed["data"]["outcome"] == "tenancy_terminated" and closed["data"]["reason"] == "moved_out"
    with db.session() as s:
        assert s.execute(select(audit_log).where(audit_log.c.action == "closed")).first()


def test_malformed_event_is_dead_lettered_not_retried_forever(worker, bus, db, settings, wait_until):
    retried = _consumed("matching.tenancy.agreed", "retried")
    dead = _consumed("matching.tenancy.agreed", "dead_lettered")
    bus.publish("matching.tenancy.agreed", {"household_id": "x"}, source="matching")  # no proposal_id
    wait_until(lambda: _consumed("matching.tenancy.agreed", "dead_lettered") == dead + 1)
    wait_until(lambda: bus.queue_depth(settings.dead_letter_queue) == 1)
    assert bus.queue_depth(settings.dead_letter_queue) == 1  # the one message, given up on at once
    assert _consumed("matching.tenancy.agreed", "retried") == retried  # never through a retry tier
    assert _count(db, SupportCase) == 0  # and it opened nothing


def test_redelivered_contract_claim_and_termination_events_have_no_second_effect(
    client, tokens, worker, bus, db, clock, wait_until
):
    clock.freeze(MONDAY)
    register(client, tokens)
    data = tenancy()
    bus.publish("matching.tenancy.agreed", data, source="matching")
    wait_until(lambda: _count(db, SupportCase) == 1)
    capture = bus.capture("support.#")
    contract_id = str(uuid.uuid4())
    contract = {"contract_id": contract_id, "contract_no": "GV-7", "proposal_id": data["proposal_id"],
                "company_id": data["company_id"],
                "household_id": data["household_id"], "term_start": "2026-06-15", "term_end": "2031-06-14"}
    claim = {"claim_id": str(uuid.uuid4()), "contract_id": contract_id, "proposal_id": data["proposal_id"],
             "household_id": data["household_id"],
             "company_id": data["company_id"], "kind": "rent_arrears", "amount_cents": 80000}
    ending = {**contract, "reason": "notice"}
    for event_type, body in [("contracts.contract.created", contract), ("contracts.claim.submitted", claim),
                             ("contracts.contract.terminated", ending)]:
        before = _consumed(event_type, "duplicate")
        first = bus.publish(event_type, body, source="contracts")
        bus.publish(event_type, body, event_id=first.id, source="contracts")
        wait_until(lambda: _consumed(event_type, "duplicate") == before + 1, message=event_type)

    wait_until(lambda: capture.of_type("support.case.closed"))
    assert _count(db, SupportCase, SupportCase.contract_id == contract_id, SupportCase.contract_no == "GV-7") == 1
    assert _count(db, Crisis) == 1
    assert len(capture.of_type("support.case.at_risk")) == 1
    assert len(capture.of_type("support.case.closed")) == 1
    with db.session() as s:
        assert len(s.execute(select(audit_log).where(audit_log.c.action == "contract_linked")).all()) == 1


def test_contract_events_that_arrive_before_the_case_wait_until_it_exists(
    client, tokens, worker, bus, db, clock, wait_until, settings
):
    """contracts and support both act on matching.tenancy.agreed, in no common order: contracts'
    events about a case support has not opened yet wait in the consumer's retry tiers — longer than
    every tier and every attempt a failing event gets (a slow lease once dead-lettered healthy
    contract events that way) — and are handled once the case is there: nothing is lost."""
    clock.freeze(MONDAY)
    register(client, tokens)
    data = tenancy()
    contract_id = str(uuid.uuid4())
    waited = _consumed("contracts.contract.created", "waiting")
    bus.publish("contracts.contract.created", {"contract_id": contract_id, "contract_no": "GV-2026-00007",
                                               "proposal_id": data["proposal_id"], "company_id": data["company_id"],
                                               "household_id": data["household_id"]}, source="contracts")
    bus.publish("contracts.incident.reported", {"incident_id": str(uuid.uuid4()), "contract_id": contract_id,
                                                "proposal_id": data["proposal_id"], "kind": "noise"}, source="contracts")
    patience_of_a_failure = len(settings.retry_delays_ms) + 5  # the tiers, and BUS_MAX_ATTEMPTS
    wait_until(lambda: _consumed("contracts.contract.created", "waiting") > waited + patience_of_a_failure,
               timeout=30)
    bus.publish("matching.tenancy.agreed", data, source="matching")
    wait_until(lambda: _count(db, SupportCase, SupportCase.contract_id == contract_id) == 1)
    wait_until(lambda: _count(db, Crisis) == 1)
    with db.session() as s:
        case = s.scalar(select(SupportCase).where(SupportCase.proposal_id == data["proposal_id"]))
        assert (case.contract_no, case.at_risk) == ("GV-2026-00007", True)


def test_an_early_contract_event_waits_until_the_case_exists_then_counts(client, tokens, db, clock):
    """The same without the broker: the handler raises NotYet (the consumer's cue to let it wait,
    not a failed attempt), and the very same event handled again after the lease has opened the
    case links the contract."""
    import pytest

    from servicekit.bus.consumer import NotYet

    from support_testing import deliver

    clock.freeze(MONDAY)
    register(client, tokens)
    data = tenancy()
    created = {"contract_id": str(uuid.uuid4()), "contract_no": "GV-2026-00008", "proposal_id": data["proposal_id"]}
    with pytest.raises(NotYet):
        deliver(db, clock, "contracts.contract.created", created)
    assert _count(db, SupportCase) == 0
    deliver(db, clock, "matching.tenancy.agreed", data)
    deliver(db, clock, "contracts.contract.created", created)
    assert _count(db, SupportCase, SupportCase.contract_id == created["contract_id"],
                  SupportCase.contract_no == "GV-2026-00008") == 1


def test_a_contracts_event_without_proposal_id_is_given_up_on_at_once(client, tokens, db, clock):
    """Published before contracts sent proposal_id: it names no case support could ever find, so
    retrying cannot help (the consumer dead-letters a PermanentFailure at once)."""
    import pytest

    from servicekit.bus.consumer import PermanentFailure

    from support_testing import deliver

    clock.freeze(MONDAY)
    register(client, tokens)
    data = tenancy()
    deliver(db, clock, "matching.tenancy.agreed", data)
    with pytest.raises(PermanentFailure):
        deliver(db, clock, "contracts.incident.reported", {"incident_id": str(uuid.uuid4()), "kind": "noise",
                                                           "household_id": data["household_id"]})
    assert _count(db, Crisis) == 0
