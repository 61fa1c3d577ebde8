"""Every consumed event: who gets what, the directory it feeds, and bad events."""

import pytest
from sqlalchemy import select

from servicekit.bus import Event
from servicekit.bus.consumer import PermanentFailure
from servicekit.db import UnitOfWork

from notifications.handlers import on_event
from notifications.models import ContactPerson, DirectoryEntry, Notification

from sample_events import CASEWORKER_ID, COMPANY_ID, HOUSEHOLD_ID, SAMPLE_DATA

C, H, W = f"company:{COMPANY_ID}", f"household:{HOUSEHOLD_ID}", f"caseworker:{CASEWORKER_ID}"

# Recipients per event (any channel) once the directory knows the contact person and the household's
# email address: households have no inbox, so theirs are email rows.
EXPECTED = {
    "matching.household.referred": {"mailbox:staff"},
    "matching.proposal.created": {C, "mailbox:staff"},
    "matching.tenancy.agreed": {C, H},
    "contracts.company.registered": {C},
    "contracts.contract.created": {C},
    "contracts.contract.activated": {C},
    "contracts.contract.expiring": {C, W},
    "contracts.contract.expired": {C, W},
    "contracts.contract.terminated": {C, W},
    "contracts.claim.submitted": {"mailbox:finance", W},
    "contracts.claim.decided": {C},
    "contracts.claim.paid": {C},
    "contracts.incident.reported": {W},
    "support.caseworker.registered": {W},
    "support.case.opened": {C, H},
    "support.case.closed": set(),
    "support.appointment.scheduled": {H, W},
    "support.appointment.rescheduled": {H, W},
    "support.appointment.cancelled": {H, W},
    "notifications.delivery.failed": {"mailbox:operators"},
    "support.case.at_risk": {W},
    "support.crisis.breached": {"mailbox:staff"},
}


def inbox_recipients(db, event_id):
    """Everybody the event reached, on any channel."""
    with db.session() as session:
        return set(session.scalars(select(Notification.recipient).where(Notification.event_id == event_id)))


def test_households_get_email_and_no_inbox_nobody_could_read(db, record):
    record("support.case.opened")
    event = record("support.appointment.scheduled")
    with db.session() as session:
        rows = session.execute(select(Notification.recipient, Notification.channel).where(
            Notification.event_id == event.id)).all()
    assert sorted(channel for recipient, channel in rows if recipient == H) == ["email"]
    assert sorted(channel for recipient, channel in rows if recipient == W) == ["email", "inbox"]


def test_expectations_cover_every_consumed_event(service):
    # the erasure request writes no message (tests/integration/test_erasure.py)
    assert set(EXPECTED) == set(service.handlers) - {"support.case.reassigned", "matching.household.erasure_requested"}


@pytest.mark.parametrize("event_type", sorted(EXPECTED))
def test_each_event_reaches_its_recipients(db, record, event_type):
    record("support.case.opened")  # the household's contact person becomes known
    event = record(event_type)
    assert inbox_recipients(db, event.id) == EXPECTED[event_type]


def test_without_a_known_contact_person_the_staff_mailbox_stands_in(db, record):
    event = record("contracts.incident.reported")
    with db.session() as session:
        [note] = session.scalars(select(Notification).where(
            Notification.event_id == event.id, Notification.channel == "inbox")).all()
    assert (note.recipient, note.fallback, note.role) == ("mailbox:staff", True, "contact_person")


def test_directory_learns_from_events(db, record):
    record("contracts.company.registered")
    record("matching.tenancy.agreed")
    record("support.case.opened")
    with db.session() as session:
        entries = {e.ref: (e.name, e.email) for e in session.scalars(select(DirectoryEntry))}
        assert entries[C] == ("Süd-Wohnbau GmbH & Co. KG", "vermietung@sued-wohnbau.example")
        assert entries[H] == ("Jürgen Müller", "juergen.mueller@example.org")
        assert entries[W] == ("Dörte Weiß", "doerte.weiss@stuttgart.example")
        assert session.get(ContactPerson, HOUSEHOLD_ID).caseworker_id == CASEWORKER_ID
    record("support.case.closed")
    with db.session() as session:
        assert session.get(ContactPerson, HOUSEHOLD_ID) is None


def test_reassignment_moves_the_households_messages_to_the_new_contact_person(db, record):
    record("support.case.opened")
    new = "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"
    record("support.case.reassigned", {
        "case_id": SAMPLE_DATA["support.case.opened"]["case_id"], "household_id": HOUSEHOLD_ID,
        "company_id": COMPANY_ID, "role": "contact_person", "previous_caseworker_id": CASEWORKER_ID,
        "caseworker_id": new, "caseworker": {"name": "Ömer Yıldız", "email": "oemer@stuttgart.example"},
        "reason": "Urlaub",
    })
    event = record("contracts.incident.reported")
    assert inbox_recipients(db, event.id) == {f"caseworker:{new}"}


def test_company_email_only_once_the_company_is_known(db, record):
    record("matching.proposal.created")
    with db.session() as session:
        channels = set(session.scalars(select(Notification.channel).where(Notification.recipient == C)))
    assert channels == {"inbox"}


@pytest.mark.parametrize(
    "event_type, data, reason",
    [
        ("contracts.claim.decided", {k: v for k, v in SAMPLE_DATA["contracts.claim.decided"].items()
                                     if k != "company_id"}, "company_id"),
        ("contracts.claim.submitted", {k: v for k, v in SAMPLE_DATA["contracts.claim.submitted"].items()
                                       if k != "amount_cents"}, "amount_cents"),
        ("support.appointment.scheduled", dict(SAMPLE_DATA["support.appointment.scheduled"],
                                               starts_at="2026-03-02T09:00:00"), "time zone"),
    ],
)
def test_events_that_can_never_render_are_dead_lettered_without_a_partial_write(db, clock, event_type, data, reason):
    event = Event(type=event_type, data=data, source="test", correlation_id="c")
    with pytest.raises(PermanentFailure, match=reason):
        with UnitOfWork(db, "notifications", clock=clock) as uow:
            on_event(uow, event)
            uow.commit()
    with db.session() as session:
        assert session.scalars(select(Notification)).all() == []


def test_referral_over_the_bus_is_handled_once(bus, worker, db, wait_until):
    event = bus.publish("matching.household.referred", SAMPLE_DATA["matching.household.referred"])
    for _ in range(3):
        bus.publish("matching.household.referred", SAMPLE_DATA["matching.household.referred"], event_id=event.id)
    wait_until(lambda: inbox_recipients(db, event.id))
    wait_until(lambda: bus.queue_depth(worker.settings.queue) == 0)
    with db.session() as session:
        assert len(session.scalars(select(Notification).where(Notification.event_id == event.id)).all()) == 1


def test_appointment_naming_only_the_case_reaches_the_household_through_the_case(db, record):
    data = {k: v for k, v in SAMPLE_DATA["support.appointment.scheduled"].items() if k != "household_id"}
    unknown = record("support.appointment.scheduled", dict(data, case_id="5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d"))
    assert inbox_recipients(db, unknown.id) == {W}  # household unknown: the caseworker still hears
    record("support.case.opened")
    known = record("support.appointment.scheduled", data)
    assert inbox_recipients(db, known.id) == {H, W}
