"""Which household a message is to or about."""

from notifications.domain.households import household_of_event, household_of_message
from notifications.domain.recipients import RecipientRef


def never(_):
    raise AssertionError("not asked")


def test_the_event_names_it_or_its_case_or_the_failed_message_does():
    cases = {"case-1": "h-1"}.get
    assert household_of_event("contracts.claim.submitted", {"household_id": "h-9", "case_id": "case-1"},
                              never, never) == "h-9"
    assert household_of_event("support.case.at_risk", {"case_id": "case-1"}, cases, never) == "h-1"
    assert household_of_event("support.crisis.breached", {"case_id": "case-2"}, cases, lambda _: "x") is None
    assert household_of_event("notifications.delivery.failed", {"notification_id": "n-1"}, cases,
                              {"n-1": "h-3"}.get) == "h-3"
    assert household_of_event("contracts.company.registered", {"company_id": "c"}, never, never) is None


def test_a_message_to_a_household_is_about_that_household():
    assert household_of_message(RecipientRef("household", "h-2"), None) == "h-2"
    assert household_of_message(RecipientRef("company", "c-1"), "h-1") == "h-1"
