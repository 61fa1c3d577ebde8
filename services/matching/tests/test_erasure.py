"""Household-wide erasure coordinated by matching: the officer's request, the services' answers,
the retention job, and a scan of every table for what must be gone."""

import json
import uuid
from datetime import timedelta

from sqlalchemy import MetaData, select, text

from servicekit.db import outbox

from matching.jobs import apply_retention
from tests.helpers import COMPANY, MONDAY, offer, one_proposal, proposals, refer, run

DPO = {"dpo"}
LEASE = {"lease_start": "2026-04-01", "unlimited": True, "cold_rent_cents": 48_000,
         "service_charges_cents": 12_000, "heating_cents": 7_000}
# The urgency key itself stays in the snapshot's copy of the policy: only the household's own is gone.
GONE = ("Erika Muster", "erika@example.org", "+49 711 000000", "Pflegegrad", "Krankenhaus", "Zieht",
        "'urgency': 'threatened_homelessness'", '"threatened_homelessness"', "Frau M. rief an")


def dpo(tokens):
    return tokens.headers("dpo", sub="dsb-1")


def every_value(db) -> str:
    """All text of all rows of every table in matching's database."""
    metadata = MetaData()
    metadata.reflect(db.engine)
    with db.engine.connect() as conn:
        rows = [list(map(str, row)) for table in metadata.sorted_tables
                for row in conn.execute(text(f'SELECT * FROM "{table.name}"')).all()]
    return json.dumps(rows, ensure_ascii=False)


def housed_household(client, tokens, clock, wait_until, db):
    """A household with every kind of personal data matching keeps: override reason, a decline text,
    a signed lease whose event (with name and contact) went out through the relay."""
    flat, household, p = one_proposal(client, tokens, clock)
    staff = tokens.staff()
    client.put(f"/api/v1/households/{household['id']}/rent-limit", headers=staff,
               json={"max_cold_rent_cents": 60_000, "reason": "Pflegegrad 3: größere Wohnung nötig"})
    client.post(f"/api/v1/proposals/{p['id']}/decline", headers=staff,
                json={"party": "household", "reason": "other", "text": "Mutter liegt im Krankenhaus"})
    offer(client, tokens)
    run(client, tokens)
    [second] = [x for x in proposals(client, staff, status="open")]
    client.post(f"/api/v1/proposals/{second['id']}/accept", json={}, headers=tokens.company(COMPANY))
    client.post(f"/api/v1/proposals/{second['id']}/accept", json={"party": "household"}, headers=staff)
    assert client.post(f"/api/v1/proposals/{second['id']}/lease", json=LEASE,
                       headers=tokens.company(COMPANY)).status_code == 200
    wait_until(lambda: _pending(db) == 0, message="relay publishes the outbox")
    return household, second


def _pending(db) -> int:
    with db.session() as s:
        return len(s.execute(select(outbox.c.id).where(outbox.c.published_at.is_(None))).all())


def test_erasure_on_request_leaves_no_personal_value_in_any_table(client, tokens, clock, db, worker, bus, wait_until):
    capture = bus.capture("matching.household.#")
    household, leased = housed_household(client, tokens, clock, wait_until, db)
    other = refer(client, tokens, name="Max Beispiel", email="max@example.org", phone="+49 711 999999",
                  urgency="emergency_accommodation")
    before = every_value(db)
    assert "Erika Muster" in before and '"threatened_homelessness"' in before
    assert "Mutter liegt" not in before  # encrypted all along

    url = f"/api/v1/households/{household['id']}/erasure"
    assert client.post(url, json={"reason": "request"}, headers=tokens.staff()).status_code == 403
    r = client.post(url, json={"reason": "request", "note": "Frau M. rief an"}, headers=dpo(tokens))
    assert r.status_code == 202, r.json
    assert r.json["reason"] == "request" and r.json["requested_by"] == "dsb-1" and r.json["state"] == "pending"
    assert [(a["service"], a["status"]) for a in r.json["services"]] == [("matching", "erased")]
    requested = capture.wait_for("matching.household.erasure_requested",
                                 lambda e: e["data"]["household_id"] == household["id"])
    assert requested["data"] == {"household_id": household["id"], "request_id": r.json["id"], "reason": "request"}
    wait_until(lambda: _pending(db) == 0, message="relay publishes the request")

    dump = every_value(db)
    assert [word for word in GONE if word in dump] == [] and household["referral_no"] not in dump
    assert "Max Beispiel" in dump and "max@example.org" in dump  # another household is untouched
    h = client.get(f"/api/v1/households/{household['id']}", headers=tokens.staff()).json
    assert (h["name"], h["email"], h["referral_no"], h["size"], h["status"]) == ("[gelöscht]", None, None, 1, "housed")
    assert h["erased_at"] and h["urgency"] == "[gelöscht]" and h["needs_barrier_free"] is False and h["rent_limit_override_reason"] is None
    p = client.get(f"/api/v1/proposals/{leased['id']}", headers=tokens.staff()).json
    assert p["lease"]["cold_rent_cents"] == 48_000 and p["status"] == "leased" and p["score"] == leased["score"]
    assert p["snapshot"]["household"] == {"size": 1, "adults": 1, "children": 0}
    assert p["snapshot"]["flat"]["cold_rent_cents"] == 48_000
    assert client.get(f"/api/v1/households/{other['id']}", headers=tokens.staff()).json["name"] == "Max Beispiel"

    again = client.post(url, json={}, headers=dpo(tokens))
    assert again.status_code == 200 and again.json["id"] == r.json["id"]
    assert client.put(f"/api/v1/households/{household['id']}/rent-limit", headers=tokens.staff(),
                      json={"max_cold_rent_cents": 1, "reason": "neu"}).status_code == 409


def test_the_services_answers_are_recorded_once_and_erased_is_final(client, tokens, clock, handle_event):
    household = refer(client, tokens)
    url = f"/api/v1/households/{household['id']}/erasure"
    request_id = client.post(url, json={}, headers=dpo(tokens)).json["id"]
    answer = {"household_id": household["id"], "request_id": request_id}

    postponed = {**answer, "status": "postponed", "hold": "open_claim"}
    event_id = str(uuid.uuid4())
    assert handle_event("contracts.household.erased", postponed, event_id=event_id)[0] == "handled"
    assert handle_event("contracts.household.erased", postponed, event_id=event_id)[0] == "duplicate"
    handle_event("support.household.erased", {**answer, "status": "erased", "hold": None})
    seen = client.get(url, headers=dpo(tokens)).json
    assert seen["state"] == "postponed"
    assert [(a["service"], a["status"], a["hold"]) for a in seen["services"]] == [
        ("contracts", "postponed", "open_claim"), ("matching", "erased", None), ("support", "erased", None)]

    handle_event("contracts.household.erased", {**answer, "status": "erased", "hold": None})
    handle_event("contracts.household.erased", postponed)  # late, reordered: must not undo the erasure
    handle_event("notifications.household.erased", {**answer, "status": "erased", "hold": None})
    handle_event("support.household.erased", {"household_id": str(uuid.uuid4()), "request_id": str(uuid.uuid4()),
                                              "status": "erased", "hold": None})  # not ours: ignored
    seen = client.get(url, headers=dpo(tokens)).json
    assert seen["state"] == "complete" and {a["status"] for a in seen["services"]} == {"erased"}
    assert seen["note"] is None


def test_erasure_requests_are_validated_and_need_an_existing_household(client, tokens):
    unknown = f"/api/v1/households/{uuid.uuid4()}/erasure"
    assert client.post(unknown, json={}, headers=dpo(tokens)).status_code == 404
    assert client.get(unknown, headers=dpo(tokens)).status_code == 404
    household = refer(client, tokens)
    bad = client.post(f"/api/v1/households/{household['id']}/erasure", json={"reason": "retention"},
                      headers=dpo(tokens))
    assert bad.status_code == 422 and "reason" in bad.json["errors"]["json"]
    assert client.get(f"/api/v1/households/{household['id']}/erasure", headers=dpo(tokens)).status_code == 404


def test_erasing_a_household_with_an_open_proposal_puts_the_flat_back_on_offer(client, tokens, clock):
    flat, household, p = one_proposal(client, tokens, clock)
    assert client.post(f"/api/v1/households/{household['id']}/erasure", json={}, headers=dpo(tokens)).status_code == 202
    assert client.get(f"/api/v1/flats/{flat['id']}", headers=tokens.staff()).json["status"] == "offered"
    assert client.get(f"/api/v1/proposals/{p['id']}", headers=tokens.staff()).json["status"] == "withdrawn"
    h = client.get(f"/api/v1/households/{household['id']}", headers=tokens.staff()).json
    assert h["status"] == "withdrawn" and h["withdrawal_reason"] is None


def test_concurrent_requests_for_one_household_create_one_erasure(client, tokens, app, run_concurrently, db):
    household = refer(client, tokens)
    url = f"/api/v1/households/{household['id']}/erasure"

    def request(_):
        return app.test_client().post(url, json={}, headers=dpo(tokens))

    answers = run_concurrently(request, 3)
    assert sorted(r.status_code for r in answers) == [200, 200, 202]
    assert len({r.json["id"] for r in answers}) == 1
    with db.session() as s:
        assert s.execute(text("SELECT count(*) FROM outbox WHERE type = 'matching.household.erasure_requested'")
                         ).scalar_one() == 1


def test_retention_erases_a_withdrawn_household_after_its_period(client, tokens, clock, job_context, db):
    clock.freeze(MONDAY)
    household = refer(client, tokens)
    waiting = refer(client, tokens, name="Max Beispiel")
    client.post(f"/api/v1/households/{household['id']}/withdraw", json={"reason": "Zieht weg"}, headers=tokens.staff())

    clock.freeze(MONDAY + timedelta(days=179))
    assert apply_retention(job_context)["households"] == 0
    clock.freeze(MONDAY + timedelta(days=181))
    assert apply_retention(job_context)["households"] == 1
    assert apply_retention(job_context)["households"] == 0
    erased = client.get(f"/api/v1/households/{household['id']}/erasure", headers=dpo(tokens)).json
    assert erased["reason"] == "retention" and erased["requested_by"] == "retention"
    assert [e["reason"] for e in _events(db, "matching.household.erasure_requested")] == ["retention"]
    assert client.get(f"/api/v1/households/{waiting['id']}", headers=tokens.staff()).json["name"] == "Max Beispiel"

    # The referral's event was still waiting for the relay at the erasure: once sent, it goes too.
    with db.engine.begin() as conn:
        conn.execute(outbox.update().values(published_at=MONDAY + timedelta(days=181)))
    assert apply_retention(job_context)["late_events"] == 1
    assert [e["household_id"] for e in _events(db, "matching.household.referred")] == [waiting["id"]]
    assert len(_events(db, "matching.household.erasure_requested")) == 1


def test_a_household_whose_guarantee_term_ended_is_erased_after_its_period(client, tokens, clock, job_context,
                                                                         handle_event):
    clock.freeze(MONDAY)
    household = refer(client, tokens)
    expired = {"contract_id": str(uuid.uuid4()), "contract_no": "GV-2026-00001", "company_id": COMPANY,
               "household_id": household["id"], "term_start": "2021-03-01", "term_end": "2026-02-28",
               "reason": "term_ended"}
    assert handle_event("contracts.contract.expired", expired)[0] == "handled"
    assert client.get(f"/api/v1/households/{household['id']}", headers=tokens.staff()).json["status"] == "left_program"
    clock.freeze(MONDAY + timedelta(days=181))
    assert apply_retention(job_context)["households"] == 1
    assert client.get(f"/api/v1/households/{household['id']}", headers=tokens.staff()).json["name"] == "[gelöscht]"


def _events(db, event_type):
    with db.session() as s:
        bodies = s.execute(select(outbox.c.body).where(outbox.c.type == event_type)).scalars().all()
    return [json.loads(b)["data"] for b in bodies]


def test_retention_drops_old_decline_texts(client, tokens, clock, job_context, db):
    flat, household, p = one_proposal(client, tokens, clock)
    client.post(f"/api/v1/proposals/{p['id']}/decline", headers=tokens.company(COMPANY),
                json={"reason": "other", "text": "Besichtigung verschoben"})
    with db.engine.begin() as conn:
        conn.execute(outbox.update().values(published_at=MONDAY))

    clock.freeze(MONDAY + timedelta(days=364))
    done = apply_retention(job_context)
    assert done["decline_texts"] == 0
    clock.freeze(MONDAY + timedelta(days=366))
    assert apply_retention(job_context)["decline_texts"] == 1
    p = client.get(f"/api/v1/proposals/{p['id']}", headers=tokens.staff()).json
    assert p["decline_text"] is None and p["decline_reason"] == "other"
