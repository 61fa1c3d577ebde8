"""The HTTP API: staff list with delivery history, the caller's inbox, mailboxes."""

import uuid

from mailserver import free_port
from sample_events import CASEWORKER_ID, COMPANY_ID, OTHER_COMPANY_ID, SAMPLE_DATA

LIST = "/api/v1/notifications"


def test_staff_list_filters_and_pages(client, tokens, record):
    record("contracts.company.registered")
    record("matching.proposal.created")
    staff = tokens.staff()
    everything = client.get(LIST, headers=staff)
    assert everything.status_code == 200 and len(everything.json) == 6
    mine = client.get(f"{LIST}?recipient=company:{COMPANY_ID}&channel=email", headers=staff).json
    assert {n["event_type"] for n in mine} == {"contracts.company.registered", "matching.proposal.created"}
    assert all(n["state"] == "pending" and "body" not in n and "destination" not in n for n in mine)
    detail = client.get(f"{LIST}/{mine[0]['id']}", headers=staff).json
    assert detail["destination"] == "vermietung@sued-wohnbau.example" and detail["body"].startswith("Guten Tag")
    pending = client.get(f"{LIST}?state=pending", headers=staff).json
    assert {n["channel"] for n in pending} == {"email"}
    paged = client.get(f"{LIST}?page=2&page_size=2", headers=staff)
    assert len(paged.json) == 2 and '"total": 6' in paged.headers["X-Pagination"]


def test_staff_list_refuses_bad_filters_and_other_roles(client, tokens):
    response = client.get(f"{LIST}?state=lost", headers=tokens.staff())
    assert response.status_code == 422 and "state" in response.json["errors"]["query"]
    assert client.get(f"{LIST}?channel=fax", headers=tokens.staff()).status_code == 422
    assert client.get(LIST, headers=tokens.company(COMPANY_ID)).status_code == 403
    assert client.get(LIST, headers=tokens.caseworker(CASEWORKER_ID)).status_code == 403
    assert client.get(LIST).status_code == 401
    assert client.get(f"{LIST}/{uuid.uuid4()}", headers=tokens.staff()).status_code == 404


def test_detail_shows_every_attempt_and_failed_mail_can_be_redelivered(client, tokens, record, deliver, clock, monkeypatch):
    monkeypatch.setenv("NOTIFICATIONS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("NOTIFICATIONS_SMTP_PORT", str(free_port()))
    record("contracts.company.registered")
    [email] = client.get(f"{LIST}?channel=email", headers=tokens.staff()).json
    assert client.post(f"{LIST}/{email['id']}/redeliver", headers=tokens.staff()).status_code == 409
    for _ in range(14):
        deliver()
        clock.advance(hours=7)
    detail = client.get(f"{LIST}/{email['id']}", headers=tokens.staff()).json
    assert detail["state"] == "failed" and detail["attempts"] == 14
    assert len(detail["history"]) == 14
    assert all(a["error"] == "connection refused" and not a["ok"] for a in detail["history"])
    redelivered = client.post(f"{LIST}/{email['id']}/redeliver", headers=tokens.staff())
    assert redelivered.status_code == 202 and redelivered.json["state"] == "pending"
    assert client.post(f"{LIST}/{email['id']}/redeliver", headers=tokens.company(COMPANY_ID)).status_code == 403


def test_inbox_is_the_callers_own(client, tokens, record):
    record("contracts.company.registered")
    record("contracts.contract.created")
    record("contracts.contract.created", dict(SAMPLE_DATA["contracts.contract.created"], company_id=OTHER_COMPANY_ID,
                                              contract_no="GV-2026-00099"))
    record("support.caseworker.registered")
    mine = client.get("/api/v1/inbox", headers=tokens.company(COMPANY_ID)).json
    assert [m["subject"] for m in mine] == ["Garantievertrag GV-2026-00042 zur Unterzeichnung",
                                            "Willkommen bei WohnenPlus"]
    assert all(not m["read"] for m in mine)
    other = client.get("/api/v1/inbox", headers=tokens.company(OTHER_COMPANY_ID)).json
    assert [m["subject"] for m in other] == ["Garantievertrag GV-2026-00099 zur Unterzeichnung"]
    caseworker = client.get("/api/v1/inbox", headers=tokens.caseworker(CASEWORKER_ID)).json
    assert [m["subject"] for m in caseworker] == ["Willkommen bei WohnenPlus"]
    assert client.get("/api/v1/inbox", headers=tokens.caseworker(str(uuid.uuid4()))).json == []
    assert client.get("/api/v1/inbox").status_code == 401


def test_unread_count_and_mark_read(client, tokens, record):
    record("contracts.company.registered")
    record("contracts.contract.activated")
    company = tokens.company(COMPANY_ID)
    assert client.get("/api/v1/inbox/unread-count", headers=company).json == {"unread": 2}
    first = client.get("/api/v1/inbox", headers=company).json[0]
    read = client.post(f"/api/v1/inbox/{first['id']}/read", headers=company)
    assert read.status_code == 200 and read.json["read"] and read.json["read_at"]
    again = client.post(f"/api/v1/inbox/{first['id']}/read", headers=company)
    assert again.json["read_at"] == read.json["read_at"]
    assert client.get("/api/v1/inbox/unread-count", headers=company).json == {"unread": 1}
    unread = client.get("/api/v1/inbox?unread=true", headers=company).json
    assert [m["id"] for m in unread] != [first["id"]] and len(unread) == 1
    # Another company cannot read, or learn of, this message.
    assert client.post(f"/api/v1/inbox/{first['id']}/read",
                       headers=tokens.company(OTHER_COMPANY_ID)).status_code == 404
    assert client.post(f"/api/v1/inbox/{uuid.uuid4()}/read", headers=company).status_code == 404


def test_staff_and_finance_read_their_team_mailbox(client, tokens, record):
    record("contracts.claim.submitted")
    finance = client.get("/api/v1/inbox", headers=tokens.finance()).json
    assert [m["subject"] for m in finance] == ["Neue Forderung: Mietschulden, 1.234,56 € zu Vertrag GV-2026-00042"]
    staff = client.get("/api/v1/inbox", headers=tokens.staff()).json
    # no contact person known yet: the staff mailbox stands in for them
    assert [m["subject"] for m in staff] == ["Forderung zu einem Ihrer Haushalte: Mietschulden"]


def test_mailbox_address_can_be_changed_by_admins_only(client, tokens, record):
    bad = client.put("/api/v1/mailboxes/finance", json={"email": "finanzen@"}, headers=tokens.admin())
    assert bad.status_code == 422 and "email" in bad.json["errors"]["json"]
    assert client.put("/api/v1/mailboxes/finance", json={"email": "a@b.de"}, headers=tokens.staff()).status_code == 403
    assert client.put("/api/v1/mailboxes/kitchen", json={"email": "a@b.de"}, headers=tokens.admin()).status_code == 404
    ok = client.put("/api/v1/mailboxes/finance", json={"email": "Finanzen@Stuttgart.example"}, headers=tokens.admin())
    assert ok.status_code == 200 and ok.json["email"] == "Finanzen@stuttgart.example"
    listed = {m["role"]: m["email"] for m in client.get("/api/v1/mailboxes", headers=tokens.staff()).json}
    assert listed["finance"] == "Finanzen@stuttgart.example"
    record("contracts.claim.submitted")
    [email] = client.get(f"{LIST}?channel=email&recipient=mailbox:finance", headers=tokens.staff()).json
    assert client.get(f"{LIST}/{email['id']}", headers=tokens.staff()).json["destination"] == "Finanzen@stuttgart.example"


def test_openapi_documents_the_endpoints(client):
    paths = client.get("/openapi.json").json["paths"]
    for path in ("/api/v1/notifications", "/api/v1/notifications/{notification_id}", "/api/v1/inbox",
                 "/api/v1/inbox/unread-count", "/api/v1/inbox/{notification_id}/read",
                 "/api/v1/companies/{company_id}/webhook", "/api/v1/companies/{company_id}/webhook/rotate-secret",
                 "/api/v1/mailboxes/{role}"):
        assert path in paths


def test_more_bad_input_and_roles(client, tokens, record):
    record("contracts.company.registered")
    company = tokens.company(COMPANY_ID)
    response = client.get("/api/v1/inbox?unread=maybe", headers=company)
    assert response.status_code == 422 and "unread" in response.json["errors"]["query"]
    assert client.get("/api/v1/inbox?page_size=0", headers=company).status_code == 422
    assert client.get("/api/v1/mailboxes", headers=company).status_code == 403
    assert client.post(f"{LIST}/{uuid.uuid4()}/redeliver", headers=tokens.staff()).status_code == 404
    message = client.get("/api/v1/inbox", headers=company).json[0]
    # staff read their own mailbox, not a company's inbox
    assert client.post(f"/api/v1/inbox/{message['id']}/read", headers=tokens.staff()).status_code == 404
    bad = client.put("/api/v1/mailboxes/staff", data="{not json", content_type="application/json",
                     headers=tokens.admin())
    assert bad.status_code == 400 and bad.content_type == "application/problem+json"
