"""Erasure of a household (Art. 17 or matching's retention) and the retention job: no personal value
of the household stays in any table; what the delivery statistics need stays."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

from sqlalchemy import func, select, text

from servicekit.privacy import ERASURE_REQUESTED
from servicekit.testing import stored_values

from notifications.models import DeliveryAttempt, DirectoryEntry, Notification
from sample_events import CASE_ID, HOUSEHOLD_ID, SAMPLE_DATA

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)
OTHER_HOUSEHOLD = "9f8e7d6c-5b4a-4c3d-8e2f-1a0b9c8d7e6f"
# Everything the household's events told notifications about it, and a free text about it.
HOUSEHOLD_VALUES = ("Jürgen Müller", "juergen.mueller@example.org", "+49 711 123456", "Königstraße 12",
                    "AS-2026-0815", "Krankheit")


def every_stored_text(db) -> str:
    """All values of all rows of all tables, encrypted ones decrypted."""
    return "\n".join(value for _, value in stored_values(db.engine))


def household_story(record, household_id=HOUSEHOLD_ID, name="Jürgen Müller", email="juergen.mueller@example.org",
                    phone="+49 711 123456"):
    tenancy = dict(SAMPLE_DATA["matching.tenancy.agreed"], household_id=household_id,
                   household={"name": name, "email": email, "phone": phone, "size": 2})
    other = {}
    if household_id != HOUSEHOLD_ID:
        tenancy.update(address=dict(tenancy["address"], street="Neckarstraße 3"), household_reference="AS-2026-0999")
        other = {"reason": "Urlaub"}
    record("matching.tenancy.agreed", tenancy)
    case_id = CASE_ID if household_id == HOUSEHOLD_ID else str(uuid.uuid4())
    record("support.case.opened", dict(SAMPLE_DATA["support.case.opened"], household_id=household_id, case_id=case_id,
                                       household={"name": name, "email": email, "phone": phone}))
    record("support.appointment.cancelled", dict(SAMPLE_DATA["support.appointment.cancelled"],
                                                 household_id=household_id, case_id=case_id, **other))
    record("support.case.at_risk", dict(SAMPLE_DATA["support.case.at_risk"], case_id=case_id, household_id=household_id))
    record("contracts.claim.submitted", dict(SAMPLE_DATA["contracts.claim.submitted"], household_id=household_id,
                                             household_reference=tenancy["household_reference"]))


def statistics(db):
    with db.session() as s:
        return sorted(s.execute(select(Notification.id, Notification.event_type, Notification.channel,
                                       Notification.recipient, Notification.attempts, Notification.created_at)).all())


def test_erasure_leaves_no_personal_value_of_the_household_and_keeps_the_statistics(
        db, record, handle_event, deliver, mail_server, clock):
    clock.freeze(T0)
    record("contracts.company.registered")
    record("support.caseworker.registered")
    household_story(record)
    household_story(record, OTHER_HOUSEHOLD, "Erika Beispiel", "erika@example.org", "+49 711 999999")
    assert deliver() > 0  # attempts and delivered rows exist, as in real life
    record("support.appointment.scheduled")  # a mail to the household still pending
    with db.session() as s:
        mine = s.scalars(select(Notification).where(Notification.household_id == HOUSEHOLD_ID)).all()
        assert {n.event_type for n in mine} >= {"matching.tenancy.agreed", "support.case.opened",
                                                "support.appointment.cancelled", "support.case.at_risk",
                                                "contracts.claim.submitted", "support.appointment.scheduled"}
        assert {n.recipient.split(":")[0] for n in mine} >= {"household", "company", "caseworker", "mailbox"}
        pending_to_household = [n.id for n in mine if n.state == "pending" and n.recipient.startswith("household:")]
    assert pending_to_household
    stored = every_stored_text(db)
    assert all(value in stored for value in HOUSEHOLD_VALUES)  # the scan would see them
    before = statistics(db)

    outcome, _ = handle_event(ERASURE_REQUESTED, {"household_id": HOUSEHOLD_ID, "request_id": "r-1",
                                                  "reason": "request"}, source="matching")
    assert outcome == "handled"

    stored = every_stored_text(db)
    assert [value for value in HOUSEHOLD_VALUES if value in stored] == []
    assert "Erika Beispiel" in stored and "erika@example.org" in stored  # the other household stays
    assert "Dörte Weiß" in stored  # the caseworker is not the household
    assert statistics(db) == before
    with db.session() as s:
        assert s.get(DirectoryEntry, f"household:{HOUSEHOLD_ID}") is None
        for note in s.scalars(select(Notification).where(Notification.household_id == HOUSEHOLD_ID)):
            assert note.erased_at is not None and note.subject == note.body == "[gelöscht]"
            assert (note.html, note.payload, note.destination, note.recipient_name) == (None,) * 4
        assert {s.get(Notification, i).state for i in pending_to_household} == {"cancelled"}
        assert s.scalar(select(DeliveryAttempt.id).limit(1)) is not None  # attempts stay
    sent = len(mail_server.messages)
    clock.advance(days=1)
    deliver()
    assert not [m for m in mail_server.messages[sent:] if "juergen" in str(m["To"])]
    with db.engine.connect() as conn:
        answers = [json.loads(b) for b in conn.execute(
            text("SELECT body FROM outbox WHERE type = 'notifications.household.erased'")).scalars()]
    assert [a["data"] for a in answers] == [
        {"household_id": HOUSEHOLD_ID, "request_id": "r-1", "status": "erased", "hold": None}]


def test_erasure_is_idempotent_and_late_events_do_not_bring_the_household_back(db, record, handle_event):
    household_story(record)
    request = {"household_id": HOUSEHOLD_ID, "request_id": "r-1", "reason": "request"}
    event_id = str(uuid.uuid4())
    assert handle_event(ERASURE_REQUESTED, request, event_id=event_id)[0] == "handled"
    assert handle_event(ERASURE_REQUESTED, request, event_id=event_id)[0] == "duplicate"
    assert handle_event(ERASURE_REQUESTED, dict(request, request_id="r-2"))[0] == "handled"  # again: harmless
    count = len(statistics(db))
    # published before the erasure, delivered after
    record("support.appointment.scheduled")
    record("matching.tenancy.agreed")
    assert len(statistics(db)) == count
    assert [v for v in HOUSEHOLD_VALUES if v in every_stored_text(db)] == []
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM outbox WHERE type = 'notifications.household.erased'")
                            ).scalar_one() == 2


def test_an_event_handled_during_the_erasure_waits_and_writes_nothing(db, record, clock):
    """The erasure cannot see rows another transaction has not committed yet; the household lock
    makes that transaction wait and then find the household erased."""
    import threading

    from servicekit.db import UnitOfWork

    from notifications.erasure import erase_household

    if db.engine.dialect.name != "postgresql":
        return
    outcome = {}
    with UnitOfWork(db, "notifications", clock=clock) as uow:
        erase_household(uow, HOUSEHOLD_ID, "r-1")
        late = threading.Thread(target=lambda: outcome.setdefault("event", record("matching.tenancy.agreed")))
        late.start()
        late.join(0.5)
        assert late.is_alive()  # waits for the erasure's transaction
        uow.commit()
    late.join(10)
    assert "event" in outcome and statistics(db) == []


def test_an_erasure_inside_a_consumer_batch_stops_the_events_after_it(db, clock):
    """One transaction (as a consumer batch): the household is checked once per transaction for the
    events about it, and an erasure in the same transaction makes the check happen again."""
    from servicekit.bus import Event
    from servicekit.db import UnitOfWork

    from notifications.handlers import on_erasure_requested, on_event

    def event(event_type, data):
        return Event(type=event_type, data=data, source="test", correlation_id="batch")

    with UnitOfWork(db, "notifications", clock=clock) as uow:
        on_event(uow, event("matching.tenancy.agreed", SAMPLE_DATA["matching.tenancy.agreed"]))
        written = uow.session.scalar(select(func.count()).select_from(Notification))
        assert written > 0
        on_erasure_requested(uow, event(ERASURE_REQUESTED, {"household_id": HOUSEHOLD_ID, "request_id": "r-1"}))
        on_event(uow, event("support.case.opened", SAMPLE_DATA["support.case.opened"]))
        assert uow.session.scalar(select(func.count()).select_from(Notification)) == written
        uow.commit()
    assert [v for v in HOUSEHOLD_VALUES if v in every_stored_text(db)] == []


def test_a_request_without_household_is_dead_lettered(handle_event):
    assert handle_event(ERASURE_REQUESTED, {"request_id": "r-1"})[0] == "dead_letter"


def test_the_answer_reaches_the_bus(worker, bus):
    answers = bus.capture("notifications.household.#")
    bus.publish(ERASURE_REQUESTED, {"household_id": HOUSEHOLD_ID, "request_id": "r-9", "reason": "retention"})
    event = answers.wait_for("notifications.household.erased", lambda e: e["data"]["request_id"] == "r-9")
    assert event["data"] == {"household_id": HOUSEHOLD_ID, "request_id": "r-9", "status": "erased", "hold": None}


def test_retention_erases_old_contents_only(db, record, job_context, clock, monkeypatch):
    from notifications import jobs

    clock.freeze(T0)
    record("contracts.company.registered")
    record("matching.proposal.created")
    clock.advance(days=200)
    record("matching.tenancy.agreed")
    clock.advance(days=170)  # the first two events are 370 days old, the tenancy 170
    jobs.retention(job_context)
    with db.session() as s:
        by_type = {}
        for note in s.scalars(select(Notification)):
            by_type.setdefault(note.event_type, set()).add(note.erased_at is not None)
            if note.erased_at is not None:
                assert (note.subject, note.destination, note.payload) == ("[gelöscht]", None, None)
                assert note.state in ("delivered", "cancelled")
    assert by_type == {"contracts.company.registered": {True}, "matching.proposal.created": {True},
                       "matching.tenancy.agreed": {False}}

    monkeypatch.setenv("NOTIFICATIONS_RETENTION_NOTIFICATION_DAYS", "100")
    jobs.retention(job_context)
    with db.session() as s:
        assert s.scalar(select(Notification.id).where(Notification.erased_at.is_(None))) is None
    # The directory entry stays while the household takes part; matching's erasure request removes it.


def test_failure_reasons_never_hold_addresses(db, record, deliver):
    from notifications.domain.delivery import AttemptOutcome

    class Refusing:
        def send(self, message):
            return AttemptOutcome.permanent_failure(
                "550 <vermietung@sued-wohnbau.example> unknown at https://mx.example/x")

    record("contracts.company.registered")
    deliver(mailer=Refusing())
    with db.session() as s:
        [note] = s.scalars(select(Notification).where(Notification.channel == "email")).all()
        [attempt] = s.scalars(select(DeliveryAttempt)).all()
    assert note.last_error == attempt.error == "550 <[email]> unknown at [url]"
