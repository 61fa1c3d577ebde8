"""The access export (Art. 15) for the data protection officer and the records of processing."""

from __future__ import annotations

import json
import uuid

from servicekit.privacy.records import render

from support_testing import MONDAY, deliver, open_case, register


def test_the_export_holds_everything_about_the_household_and_nothing_of_another(client, tokens, db, clock, service):
    clock.freeze(MONDAY)
    register(client, tokens, name="Anna", roles=["contact_person"])
    register(client, tokens, name="Ben", roles=["social_worker"])
    case = open_case(client, db, clock, tokens)
    other = open_case(client, db, clock, tokens, household={"name": "Familie Anders", "email": "anders@example.org", "size": 2})
    household = case["household_id"]
    contract_id = str(uuid.uuid4())
    deliver(db, clock, "contracts.contract.created", {"contract_id": contract_id, "contract_no": "WP-2026-00042",
                                                      "proposal_id": case["proposal_id"],
                                                      "household_id": household, "company_id": case["company_id"]})
    deliver(db, clock, "contracts.incident.reported", {"incident_id": str(uuid.uuid4()), "proposal_id": case["proposal_id"]})
    visit = client.get(f"/api/v1/cases/{case['id']}/appointments", headers=tokens.staff()).json[1]
    client.post(f"/api/v1/appointments/{visit['id']}/cancel", json={"reason": "Mutter im Krankenhaus"}, headers=tokens.staff())

    url = f"/api/v1/privacy/households/{household}/export"
    assert client.get(url, headers=tokens.staff()).status_code == 403
    export = client.get(url, headers=tokens.headers("dpo")).json
    records = export["records"]
    assert [c["household_name"] for c in records["support_cases"]] == ["Familie Beispiel"]
    assert records["support_cases"][0]["contract_id"] == contract_id
    assert records["support_cases"][0]["contract_no"] == "WP-2026-00042"
    assert {a["case_id"] for a in records["appointments"]} == {case["id"]}
    assert "Mutter im Krankenhaus" in [a["cancel_reason"] for a in records["appointments"]]  # decrypted
    assert [c["trigger"] for c in records["crises"]] == ["incident"]
    assert export["fields"]["support_cases.household_name"]["label"] == "Name des Haushalts"
    assert any(r["purpose"] == "data_subject_access" for r in export["access_log"])
    text = json.dumps(export, ensure_ascii=False)
    for foreign in (other["id"], other["household_id"], "Familie Anders", "anders@example.org"):
        assert foreign not in text

    nobody = client.get(f"/api/v1/privacy/households/{uuid.uuid4()}/export", headers=tokens.headers("dpo")).json
    assert nobody["records"] == {"support_cases": [], "appointments": [], "crises": []}


def test_records_of_processing_name_purpose_basis_and_every_classified_field(service):
    doc = render([service])
    assert "§§ 67a ff. SGB X" in doc and "Wohnbegleitung" in doc and "3 Jahre nach Abschluss" in doc
    for row in ("| support_cases | Name des Haushalts (`household_name`) | Identifizierende Daten | gelöscht |",
                "| support_cases | Haushaltsgröße (`household_size`) | Sozialdaten (§ 67 SGB X) | bleibt (pseudonym) |",
                "| appointments | Ergebnis des Termins (`outcome_note`) | Freitext zur Person | gelöscht |"):
        assert row in doc
