"""The access export (Art. 15 GDPR) for the data protection officer: everything contracts holds
about one household, decrypted and labelled, with who read it, and nothing of another household."""

import json
from datetime import datetime, timezone

from servicekit.privacy.bundle import summary_de

from privacy_helpers import NAME, TEXTS, household_story


def test_the_export_holds_this_household_and_nothing_of_another(world):
    company = world.company()
    contract, claim = household_story(world, company)
    other = world.contract(company, household={"name": "Bernd Anders", "email": "bernd@example.org", "size": 1})
    world.claim(other, kind="damage_repairs", amount=2_000)
    url = f"/api/v1/privacy/households/{contract['household_id']}/export"
    assert world.client.get(url, headers=world.tokens.staff()).status_code == 403

    export = world.client.get(url, headers=world.tokens.headers("dpo")).json
    records = export["records"]
    assert [t["household_name"] for t in records["tenancies"]] == [NAME]
    assert [c["contract_no"] for c in records["contracts"]] == [contract["contract_no"]]
    assert records["contracts"][0]["termination_note"] == TEXTS["note"]
    assert [(c["description"], c["decision_reason"], c["approved_cents"]) for c in records["claims"]] == [
        (TEXTS["claim"], TEXTS["decision"], 100_000)]
    [document] = records["claim_documents"]
    assert document["filename"] == TEXTS["file"] and document["content"].startswith("Datei application/pdf")
    assert [i["description"] for i in records["incidents"]] == [TEXTS["incident"]]
    assert export["fields"]["tenancies.household_email"]["label"] == "E-Mail des Haushalts"
    assert {r["actor_role"] for r in export["access_log"]} >= {"staff", "dpo"}

    dump = json.dumps(export, ensure_ascii=False)
    assert "Bernd" not in dump and other["household_id"] not in dump and other["contract_no"] not in dump
    summary = summary_de({"household_id": contract["household_id"], "created_at": datetime.now(timezone.utc).isoformat(),
                          "services": {"contracts": export}})
    assert "Garantieverträge" in summary and NAME in summary and "Begründung der Inanspruchnahme" in summary
