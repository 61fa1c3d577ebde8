import pytest

from notifications.config import routing_table
from notifications.domain.catalogue import Channel, Event, InvalidEvent, Role
from notifications.domain.channels import channels_for
from notifications.domain.planning import plan_messages
from notifications.domain.recipients import (
    ContactDetails,
    ContactPersonAssigned,
    ContactPersonReleased,
    RecipientRef,
    directory_facts,
    resolve_recipient,
)

from sample_events import CASE_ID, CASEWORKER_ID, COMPANY_ID, HOUSEHOLD_ID, SAMPLE_DATA, envelope

TABLE = routing_table()


def event(event_type, data=None):
    return Event.from_envelope(envelope(event_type, data))


def no_contact_person(household_id):
    return None


def test_claim_reaches_finance_and_the_households_contact_person():
    planned = plan_messages(event("contracts.claim.submitted"), TABLE, {HOUSEHOLD_ID: CASEWORKER_ID}.get)
    assert {(p.route.role, str(p.recipient)) for p in planned} == {
        (Role.FINANCE, "mailbox:finance"),
        (Role.CONTACT_PERSON, f"caseworker:{CASEWORKER_ID}"),
    }


def test_unknown_contact_person_falls_back_to_the_staff_mailbox():
    planned = plan_messages(event("contracts.incident.reported"), TABLE, no_contact_person)
    assert [(str(p.recipient), p.fallback) for p in planned] == [("mailbox:staff", True)]


def test_case_opened_names_the_contact_person_itself():
    resolution = resolve_recipient(
        Role.CONTACT_PERSON, "support.case.opened", SAMPLE_DATA["support.case.opened"], no_contact_person
    )
    assert resolution.ref == RecipientRef("caseworker", CASEWORKER_ID)


def test_events_without_routes_cause_no_messages():
    assert plan_messages(event("support.case.closed"), TABLE, no_contact_person) == []


def test_a_route_without_its_recipient_id_is_an_invalid_event():
    data = {k: v for k, v in SAMPLE_DATA["contracts.claim.decided"].items() if k != "company_id"}
    with pytest.raises(InvalidEvent, match="company_id"):
        plan_messages(event("contracts.claim.decided", data), TABLE, no_contact_person)


def test_envelope_errors_are_clear():
    with pytest.raises(InvalidEvent, match="occurred_at"):
        Event.from_envelope({"id": "x", "type": "a.b.c"})
    with pytest.raises(InvalidEvent, match="occurred_at"):
        Event.from_envelope({"id": "x", "type": "a.b.c", "occurred_at": "2026-03-01T10:00:00"})


def test_recipient_refs_round_trip():
    assert RecipientRef.parse(f"company:{COMPANY_ID}") == RecipientRef("company", COMPANY_ID)
    with pytest.raises(ValueError):
        RecipientRef.parse("company")


def test_directory_learns_companies_caseworkers_households_and_contact_persons():
    assert directory_facts(event("contracts.company.registered")) == [
        ContactDetails("company", COMPANY_ID, "Süd-Wohnbau GmbH & Co. KG", "vermietung@sued-wohnbau.example")
    ]
    assert directory_facts(event("matching.tenancy.agreed")) == [
        ContactDetails("household", HOUSEHOLD_ID, "Jürgen Müller", "juergen.mueller@example.org", "+49 711 123456")
    ]
    facts = directory_facts(event("support.case.opened"))
    assert ContactPersonAssigned(HOUSEHOLD_ID, CASEWORKER_ID, CASE_ID) in facts
    assert any(isinstance(f, ContactDetails) and f.email == "doerte.weiss@stuttgart.example" for f in facts)
    assert directory_facts(event("support.case.closed")) == [ContactPersonReleased(HOUSEHOLD_ID, CASE_ID)]
    assert directory_facts(event("contracts.claim.paid")) == []


def test_a_malformed_email_in_an_event_only_drops_the_email_channel():
    data = dict(SAMPLE_DATA["contracts.company.registered"], email="not-an-address")
    [details] = directory_facts(event("contracts.company.registered", data))
    assert details.email is None and details.name == "Süd-Wohnbau GmbH & Co. KG"


def test_household_without_contact_details_is_still_known():
    data = dict(SAMPLE_DATA["matching.tenancy.agreed"], household={"name": "Familie Öztürk", "size": 4})
    [details] = directory_facts(event("matching.tenancy.agreed", data))
    assert (details.name, details.email, details.phone) == ("Familie Öztürk", None, None)


@pytest.mark.parametrize(
    "event_type, role, has_email, has_webhook, expected",
    [
        ("matching.proposal.created", Role.COMPANY, True, True, [Channel.INBOX, Channel.EMAIL, Channel.WEBHOOK]),
        ("matching.proposal.created", Role.COMPANY, False, False, [Channel.INBOX]),
        ("matching.proposal.created", Role.STAFF, True, True, [Channel.INBOX, Channel.EMAIL]),
        ("contracts.company.registered", Role.COMPANY, True, True, [Channel.INBOX, Channel.EMAIL]),
        # households have no login: no inbox nobody can read, email when an address is known
        ("matching.tenancy.agreed", Role.HOUSEHOLD, True, False, [Channel.EMAIL]),
        ("support.appointment.scheduled", Role.HOUSEHOLD, False, False, []),
    ],
)
def test_inbox_always_email_when_known_webhook_for_company_systems(event_type, role, has_email, has_webhook, expected):
    route = TABLE.route(event_type, role)
    assert channels_for(route, has_email=has_email, has_webhook=has_webhook) == expected


def test_a_route_limited_to_the_inbox_sends_no_email():
    route = TABLE.route("matching.household.referred", Role.STAFF)
    assert channels_for(route, has_email=True, has_webhook=False) == [Channel.INBOX]
