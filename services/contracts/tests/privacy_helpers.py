"""Helpers for the erasure and retention tests: a household with a name, contact data, free text
and evidence in every table that can hold them, and a scan of every table for those values."""

import json

from sqlalchemy import select

from servicekit.db import outbox
from servicekit.testing import find_stored

from contracts_testkit import document

NAME, EMAIL, PHONE, STREET = "Erika Beispiel", "erika.beispiel@example.org", "0711 987654", "Olgastraße 77"
TEXTS = {
    "claim": "Frau Beispiel hat nach Jobverlust die Miete nicht gezahlt",
    "decision": "Abzug, da Frau Beispiel Teilzahlung leistete",
    "incident": "Streit mit Nachbarn wegen Erkrankung von Frau Beispiel",
    "note": "Frau Beispiel ist in eine Pflegeeinrichtung gezogen",
    "file": "Mietkonto Erika Beispiel.pdf",
    "evidence": "Mieterin Erika Beispiel, offene Posten",
}
NEEDLES = [NAME, EMAIL, PHONE, STREET, *TEXTS.values()]


def household_story(world, company, *, pay=True, reference="AS-2027-4711", effective_on="2027-06-30"):
    """A contract of the household with a claim (paid, or left open), an incident and an early end."""
    contract = world.contract(company, household={"name": NAME, "email": EMAIL, "phone": PHONE, "size": 2},
                              address={"street": STREET, "postal_code": "70182", "city": "Stuttgart",
                                       "district": "Mitte"},
                              household_reference=reference)
    own = world.tokens.company(company)
    evidence = document("invoice", content=b"%PDF-1.4\n" + TEXTS["evidence"].encode(), filename=TEXTS["file"])
    claim = world.client.post(f"/api/v1/contracts/{contract['id']}/claims", headers={**own, "Idempotency-Key": "retry-0001"},
                              json={"kind": "damage_repairs", "amount_cents": 120_000, "description": TEXTS["claim"],
                                    "evidence": [evidence]})
    assert claim.status_code == 201, claim.json
    claim = claim.json
    if pay:
        fin = world.tokens.finance()
        assert world.client.post(f"/api/v1/claims/{claim['id']}/decision", headers=fin, json={
            "decision": "approve", "approved_cents": 100_000, "reason": TEXTS["decision"]}).status_code == 200
        assert world.client.post(f"/api/v1/claims/{claim['id']}/payout", headers=fin,
                                 json={"reference": "ZA-2027-0815"}).status_code == 200
    assert world.client.post(f"/api/v1/contracts/{contract['id']}/incidents", headers=own, json={
        "kind": "neighbour_conflict", "severity": "medium", "description": TEXTS["incident"]}).status_code == 201
    assert world.client.post(f"/api/v1/contracts/{contract['id']}/terminate", headers=world.tokens.staff(), json={
        "reason": "other", "effective_on": effective_on, "note": TEXTS["note"]}).status_code == 200
    world.client.get(f"/api/v1/contracts/{contract['id']}", headers=world.tokens.staff())  # an access log entry
    return contract, claim


def scan(db, needles=NEEDLES) -> list[tuple[str, str]]:
    """(table, needle) for every needle found in any stored value: encrypted values decrypted,
    evidence files decoded."""
    return find_stored(db.engine, needles)


def published(db, event_type: str) -> list[dict]:
    """The data of the events of this type in the outbox (published or not), oldest first."""
    with db.engine.connect() as conn:
        bodies = conn.execute(select(outbox.c.body).where(outbox.c.type == event_type)
                              .order_by(outbox.c.created_at)).scalars().all()
    return [json.loads(b)["data"] for b in bodies]
