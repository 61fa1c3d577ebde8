"""The access export (Art. 15 GDPR): every message to or about the household, its attempts, its
directory entry and contact person — and nothing of another household."""

from __future__ import annotations

import json

from sample_events import CASE_ID, COMPANY_ID, HOUSEHOLD_ID, SAMPLE_DATA

OTHER = "9f8e7d6c-5b4a-4c3d-8e2f-1a0b9c8d7e6f"


def test_the_export_holds_the_households_messages_and_nothing_of_another(client, tokens, record, deliver, mail_server):
    record("contracts.company.registered")
    record("support.caseworker.registered")
    record("matching.tenancy.agreed")
    record("support.case.opened")
    record("support.case.at_risk")  # names only the case: about the household through its contact person
    record("matching.tenancy.agreed", dict(SAMPLE_DATA["matching.tenancy.agreed"], household_id=OTHER,
                                           household={"name": "Erika Beispiel", "email": "erika@example.org"}))
    deliver()
    client.get("/api/v1/inbox", headers=tokens.company(COMPANY_ID))

    url = f"/api/v1/privacy/households/{HOUSEHOLD_ID}/export"
    assert client.get(url, headers=tokens.staff()).status_code == 403
    answer = client.get(url, headers=tokens.headers("dpo"))
    assert answer.status_code == 200
    export = answer.json
    records = export["records"]
    recipients = {(n["event_type"], n["recipient"].split(":")[0]) for n in records["notifications"]}
    assert {("matching.tenancy.agreed", "household"), ("matching.tenancy.agreed", "company"),
            ("support.case.opened", "company"), ("support.case.at_risk", "caseworker")} <= recipients
    assert all(n["household_id"] == HOUSEHOLD_ID for n in records["notifications"])
    assert any("Jürgen Müller" in n["body"] for n in records["notifications"])  # decrypted
    assert records["directory_entries"][0]["email"] == "juergen.mueller@example.org"
    assert records["contact_persons"][0]["case_id"] == CASE_ID
    assert records["delivery_attempts"] and all(a["ok"] for a in records["delivery_attempts"])
    assert export["fields"]["notifications.body"]["category"] == "free_text"
    assert {r["actor_role"] for r in export["access_log"]} == {"company", "dpo"}
    text = json.dumps(export, ensure_ascii=False)
    assert "Erika" not in text and "erika@" not in text and OTHER not in text
