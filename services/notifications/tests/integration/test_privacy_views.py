"""Purpose-bound views and the access log: staff follow delivery by subject and state and read a
text one at a time (logged), operators see delivery state without contents, every read of a
message about a household is in the access log the data protection officer reads."""

from __future__ import annotations

from sqlalchemy import select

from servicekit.db.tables import access_log
from servicekit.privacy import ERASURE_REQUESTED

from sample_events import CASEWORKER_ID, COMPANY_ID, HOUSEHOLD_ID, OTHER_COMPANY_ID

LIST = "/api/v1/notifications"
CONTENTS = {"subject", "body", "payload", "destination", "recipient_name"}


def reads(db):
    with db.session() as s:
        return [(r.actor, r.actor_role, r.company_id, r.household_id, r.purpose, r.operation)
                for r in s.execute(select(access_log).order_by(access_log.c.id)).all()]


def tenancy_story(record):
    record("contracts.company.registered")
    record("support.caseworker.registered")
    record("matching.tenancy.agreed")
    record("support.case.opened")
    record("support.appointment.scheduled")


def test_each_role_gets_its_view(client, tokens, record):
    tenancy_story(record)
    staff_list = client.get(f"{LIST}?household_id={HOUSEHOLD_ID}&page_size=100", headers=tokens.staff()).json
    assert staff_list and all(n["household_id"] == HOUSEHOLD_ID for n in staff_list)
    assert all("subject" in n and not {"body", "destination", "payload"} & set(n) for n in staff_list)
    admin_list = client.get(f"{LIST}?household_id={HOUSEHOLD_ID}&page_size=100", headers=tokens.admin()).json
    assert [n["id"] for n in admin_list] == [n["id"] for n in staff_list]
    assert all(not CONTENTS & set(n) and {"state", "attempts", "last_error"} <= set(n) for n in admin_list)

    [email] = [n for n in staff_list if n["channel"] == "email" and n["event_type"] == "matching.tenancy.agreed"
               and n["recipient"].startswith("household")]
    url = f"{LIST}/{email['id']}"
    staff_detail = client.get(url, headers=tokens.staff()).json
    assert staff_detail["destination"] == "juergen.mueller@example.org" and "Jürgen Müller" in staff_detail["body"]
    assert staff_detail["recipient_name"] == "Jürgen Müller" and staff_detail["history"] == []
    admin_detail = client.get(url, headers=tokens.admin()).json
    assert not CONTENTS & set(admin_detail) and admin_detail["history"] == [] and admin_detail["state"] == "pending"


def test_reads_of_a_households_messages_are_logged_and_the_dpo_reads_the_log(client, tokens, record, db):
    tenancy_story(record)
    client.get(f"{LIST}?page_size=100", headers=tokens.admin())  # no contents: not a read of personal data
    assert reads(db) == []

    listed = client.get(f"{LIST}?page_size=100", headers=tokens.staff()).json
    client.get(f"{LIST}/{listed[0]['id']}", headers=tokens.staff())
    client.get("/api/v1/inbox", headers=tokens.company(COMPANY_ID, sub="anna"))
    caseworker_inbox = client.get("/api/v1/inbox", headers=tokens.caseworker(CASEWORKER_ID)).json
    [message] = [m for m in caseworker_inbox if m["event_type"] == "support.appointment.scheduled"]
    client.post(f"/api/v1/inbox/{message['id']}/read", headers=tokens.caseworker(CASEWORKER_ID))
    client.get("/api/v1/inbox", headers=tokens.company(OTHER_COMPANY_ID))  # nothing about the household
    assert reads(db) == [
        ("test-staff", "staff", None, HOUSEHOLD_ID, "referral_and_placement", "GET /api/v1/notifications"),
        ("test-staff", "staff", None, HOUSEHOLD_ID, "referral_and_placement",
         "GET /api/v1/notifications/<notification_id>"),
        ("anna", "company", COMPANY_ID, HOUSEHOLD_ID, "tenancy_management", "GET /api/v1/inbox"),
        (CASEWORKER_ID, "caseworker", None, HOUSEHOLD_ID, "social_support", "GET /api/v1/inbox"),
        (CASEWORKER_ID, "caseworker", None, HOUSEHOLD_ID, "social_support",
         "POST /api/v1/inbox/<notification_id>/read"),
    ]

    assert client.get("/api/v1/privacy/access-log", headers=tokens.staff()).status_code == 403
    log = client.get(f"/api/v1/privacy/access-log?household_id={HOUSEHOLD_ID}", headers=tokens.headers("dpo")).json
    assert [(e["actor"], e["actor_role"]) for e in log][-1] == ("test-staff", "staff")  # newest first
    assert len(log) == 5


def test_an_erased_message_shows_no_contents_and_cannot_be_sent_again(client, tokens, record, deliver, handle_event,
                                                                      clock, monkeypatch):
    from mailserver import free_port

    monkeypatch.setenv("NOTIFICATIONS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("NOTIFICATIONS_SMTP_PORT", str(free_port()))
    record("matching.tenancy.agreed")
    [email] = client.get(f"{LIST}?channel=email&recipient=household:{HOUSEHOLD_ID}", headers=tokens.staff()).json
    assert email["event_type"] == "matching.tenancy.agreed"
    for _ in range(14):
        deliver()
        clock.advance(hours=7)
    assert handle_event(ERASURE_REQUESTED, {"household_id": HOUSEHOLD_ID, "request_id": "r-1"})[0] == "handled"
    detail = client.get(f"{LIST}/{email['id']}", headers=tokens.staff()).json
    assert detail["state"] == "failed" and detail["erased_at"] and len(detail["history"]) == 14
    assert (detail["subject"], detail["body"], detail["destination"]) == ("[gelöscht]", "[gelöscht]", None)
    again = client.post(f"{LIST}/{email['id']}/redeliver", headers=tokens.staff())
    assert again.status_code == 409 and "erased" in again.json["detail"]
