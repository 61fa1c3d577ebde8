"""Runs, proposals, answers, the lease, expiry and "why not" over HTTP."""

import json
from datetime import timedelta

from sqlalchemy import select

from servicekit.db import audit_log, outbox

from matching.config import default_policy
from matching.jobs import expire_proposals
from tests.helpers import COMPANY, MONDAY, OTHER_COMPANY, offer, one_proposal, proposals, refer, run

LEASE = {"lease_start": "2026-04-01", "unlimited": True, "cold_rent_cents": 48_000,
         "service_charges_cents": 12_000, "heating_cents": 7_000}


def events(db, event_type, version=1):
    with db.session() as s:
        bodies = s.execute(select(outbox.c.body).where(outbox.c.type == event_type)).scalars().all()
    return [json.loads(b)["data"] for b in bodies if json.loads(b)["version"] == version]


def state(client, tokens, kind, ident):
    return client.get(f"/api/v1/{kind}/{ident}", headers=tokens.staff()).json["status"]


def test_run_proposes_the_best_pair_with_breakdown_rules_snapshot_and_deadline(client, tokens, clock, db):
    clock.freeze(MONDAY)
    flat = offer(client, tokens)
    calm = refer(client, tokens, urgency="inadequate_housing")
    urgent = refer(client, tokens, urgency="emergency_accommodation", preferred_districts=["Ost"])
    summary = run(client, tokens)
    assert summary["proposals_created"] == 1 and summary["households_considered"] == 2
    assert summary["flats_considered"] == 1 and summary["certified_optimal"] and summary["eligible_pairs"] == 2
    assert summary["score_upper_bound"] == summary["total_score"]
    [p] = proposals(client, tokens.staff())
    assert p["household_id"] == urgent["id"] and p["flat_id"] == flat["id"] and p["status"] == "open"
    assert {c["name"] for c in p["score_breakdown"]["components"]} == {"urgency", "waiting_time", "district_preference", "fit"}
    assert abs(sum(c["points"] for c in p["score_breakdown"]["components"]) - p["score"]) < 1e-3
    assert all(r["passed"] for r in p["rules_passed"]) and len(p["rules_passed"]) == 7
    assert p["respond_by"] == "2026-03-09"  # five working days after Monday 2 March
    assert p["snapshot"]["flat"]["cold_rent_cents"] == 48_000
    assert p["snapshot"]["policy"]["weights"] == default_policy().as_dict()["weights"]
    assert state(client, tokens, "flats", flat["id"]) == "reserved"
    assert state(client, tokens, "households", urgent["id"]) == "proposed"
    assert state(client, tokens, "households", calm["id"]) == "waiting"
    [created] = events(db, "matching.proposal.created")
    assert created == {"proposal_id": p["id"], "flat_id": flat["id"], "household_id": urgent["id"], "company_id": COMPANY,
                       "respond_by": "2026-03-09", "district": "Ost", "rooms": 2.0, "unit_ref": flat["unit_ref"],
                       "address": {"street": flat["street"], "postal_code": flat["postal_code"], "city": flat["city"],
                                   "district": "Ost"},
                       "household_reference": urgent["referral_no"]}
    runs = client.get("/api/v1/matching-runs", headers=tokens.staff()).json
    assert [r["id"] for r in runs] == [summary["id"]]
    assert client.get(f"/api/v1/matching-runs/{summary['id']}", headers=tokens.staff()).json["total_score"] > 0


def test_only_staff_may_run(client, tokens):
    assert client.post("/api/v1/matching-runs", headers=tokens.company(COMPANY)).status_code == 403


def test_company_sees_a_pseudonym_until_it_accepts_and_never_other_companies_proposals(client, tokens, clock):
    flat, household, p = one_proposal(client, tokens, clock)
    me, other = tokens.company(COMPANY), tokens.company(OTHER_COMPANY)
    seen = client.get(f"/api/v1/proposals/{p['id']}", headers=me).json
    assert "name" not in seen["household"] and "email" not in seen["household"] and "referral_no" not in seen["household"]
    assert seen["household"]["size"] == 1 and "snapshot" not in seen
    assert client.get(f"/api/v1/proposals/{p['id']}", headers=other).status_code == 404
    assert proposals(client, other) == []
    assert client.post(f"/api/v1/proposals/{p['id']}/accept", json={}, headers=other).status_code == 404
    r = client.post(f"/api/v1/proposals/{p['id']}/accept", json={}, headers=me)
    assert r.status_code == 200 and r.json["household"]["name"] == "Erika Muster" and r.json["status"] == "open"
    assert client.post(f"/api/v1/proposals/{p['id']}/accept", json={}, headers=me).status_code == 409
    assert client.get(f"/api/v1/households/{household['id']}", headers=me).status_code == 403


def test_both_accept_then_the_lease_lets_the_flat_and_emits_tenancy_agreed(client, tokens, clock, db):
    flat, household, p = one_proposal(client, tokens, clock)
    lease_url = f"/api/v1/proposals/{p['id']}/lease"
    assert client.post(lease_url, json=LEASE, headers=tokens.company(COMPANY)).status_code == 409
    client.post(f"/api/v1/proposals/{p['id']}/accept", json={}, headers=tokens.company(COMPANY))
    r = client.post(f"/api/v1/proposals/{p['id']}/accept", json={}, headers=tokens.staff())
    assert r.status_code == 422 and "party" in r.json["errors"]["json"]
    r = client.post(f"/api/v1/proposals/{p['id']}/accept", json={"party": "household"}, headers=tokens.staff())
    assert r.status_code == 200 and r.json["status"] == "accepted"
    r = client.post(lease_url, json=LEASE, headers=tokens.company(COMPANY))
    assert r.status_code == 200, r.json
    assert r.json["status"] == "leased"
    assert state(client, tokens, "flats", flat["id"]) == "let"
    assert state(client, tokens, "households", household["id"]) == "housed"
    [agreed] = events(db, "matching.tenancy.agreed")
    assert agreed == {
        "proposal_id": p["id"], "flat_id": flat["id"], "household_id": household["id"], "company_id": COMPANY,
        "lease_start": "2026-04-01", "lease_unlimited": True, "cold_rent_cents": 48_000, "service_charges_cents": 12_000, "heating_cents": 7_000,
        "address": {"street": "Neckarstraße 12", "postal_code": "70190", "city": "Stuttgart", "district": "Ost"},
        "household": {"name": "Erika Muster", "email": "erika@example.org", "phone": "+49 711 000000", "size": 1},
        "household_reference": household["referral_no"],
    }
    # version 2 beside it: the same fact, the referral number under its name (docs/EVENT-CHANGES.md)
    [agreed_v2] = events(db, "matching.tenancy.agreed", version=2)
    assert agreed_v2 == {**{k: v for k, v in agreed.items() if k != "household_reference"},
                         "referral_no": household["referral_no"]}
    with db.session() as s:
        envelopes = [json.loads(b) for b in s.scalars(select(outbox.c.body).where(outbox.c.type == "matching.tenancy.agreed"))]
    assert sorted(e["version"] for e in envelopes) == [1, 2]
    assert all(e["published_versions"] == [1, 2] for e in envelopes)
    assert envelopes[0]["occurred_at"] == envelopes[1]["occurred_at"] and envelopes[0]["id"] != envelopes[1]["id"]
    assert client.post(lease_url, json=LEASE, headers=tokens.company(COMPANY)).status_code == 409


def test_a_lease_the_programme_cannot_accept_is_refused_and_nothing_changes(client, tokens, clock, db):
    flat, household, p = one_proposal(client, tokens, clock)
    client.post(f"/api/v1/proposals/{p['id']}/accept", json={"party": "company"}, headers=tokens.staff())
    client.post(f"/api/v1/proposals/{p['id']}/accept", json={"party": "household"}, headers=tokens.staff())
    url = f"/api/v1/proposals/{p['id']}/lease"
    for bad, field in [({"unlimited": False}, "unlimited"), ({"graduated_rent": True}, "graduated_rent"),
                       ({"index_linked_rent": True}, "index_linked_rent"), ({"cold_rent_cents": 52_501}, "cold_rent_cents"),
                       ({"heating_cents": -1}, "heating_cents"), ({"lease_start": "2026-02-01"}, "lease_start")]:
        r = client.post(url, json={**LEASE, **bad}, headers=tokens.company(COMPANY))
        assert r.status_code == 422 and field in r.json["errors"]["json"], (bad, r.json)
    assert state(client, tokens, "flats", flat["id"]) == "reserved"
    assert events(db, "matching.tenancy.agreed") == []


def test_household_declines_that_count_lead_to_a_review_and_the_pair_is_never_proposed_again(client, tokens, clock, db):
    clock.freeze(MONDAY)
    household = refer(client, tokens)
    for n in range(2):
        offer(client, tokens, unit_ref=f"WE-{n}")
        run(client, tokens)
        [p] = proposals(client, tokens.staff(), status="open")
        r = client.post(f"/api/v1/proposals/{p['id']}/decline", json={"party": "household", "reason": "location", "text": "zu weit"},
                        headers=tokens.staff())
        assert r.status_code == 200 and r.json["status"] == "declined"
    h = client.get(f"/api/v1/households/{household['id']}", headers=tokens.staff()).json
    assert h["status"] == "waiting" and h["counted_declines"] == 2 and h["needs_review"]
    assert [x["id"] for x in client.get("/api/v1/households?needs_review=true", headers=tokens.staff()).json] == [household["id"]]
    # both flats are back on offer, but this household already had them
    assert run(client, tokens)["proposals_created"] == 0
    assert len(events(db, "matching.proposal.declined")) == 2


def test_company_decline_reason_decides_the_flat_state(client, tokens, clock):
    flat, household, p = one_proposal(client, tokens, clock)
    me = tokens.company(COMPANY)
    r = client.post(f"/api/v1/proposals/{p['id']}/decline", json={"reason": "location"}, headers=me)
    assert r.status_code == 422 and "reason" in r.json["errors"]["json"]
    r = client.post(f"/api/v1/proposals/{p['id']}/decline", json={"reason": "flat_no_longer_available"}, headers=me)
    assert r.status_code == 200
    assert state(client, tokens, "flats", flat["id"]) == "withdrawn"
    assert state(client, tokens, "households", household["id"]) == "waiting"


def test_expiry_frees_flat_and_household_and_an_expired_proposal_cannot_be_accepted(client, tokens, clock, job_context, db):
    flat, household, p = one_proposal(client, tokens, clock)
    clock.freeze(MONDAY + timedelta(days=7, hours=12))  # Monday 9 March, the last day: still open
    assert expire_proposals(job_context) == 0
    clock.freeze(MONDAY + timedelta(days=8))  # Tuesday 10 March
    url = f"/api/v1/proposals/{p['id']}/accept"
    r = client.post(url, json={}, headers=tokens.company(COMPANY))
    assert r.status_code == 409 and "expired" in r.json["detail"]
    assert expire_proposals(job_context) == 1
    assert expire_proposals(job_context) == 0
    assert client.get(f"/api/v1/proposals/{p['id']}", headers=tokens.staff()).json["status"] == "expired"
    assert state(client, tokens, "flats", flat["id"]) == "offered"
    assert state(client, tokens, "households", household["id"]) == "waiting"
    assert client.post(url, json={}, headers=tokens.company(COMPANY)).status_code == 409
    assert [e["proposal_id"] for e in events(db, "matching.proposal.expired")] == [p["id"]]


def test_manual_proposal_must_pass_the_rules(client, tokens, clock):
    clock.freeze(MONDAY)
    flat = offer(client, tokens, cold_rent_cents=60_000)
    household = refer(client, tokens)
    body = {"flat_id": flat["id"], "household_id": household["id"]}
    r = client.post("/api/v1/proposals", json=body, headers=tokens.staff())
    assert r.status_code == 422 and "rent" in r.json["errors"]["json"]
    r = client.put(f"/api/v1/households/{household['id']}/rent-limit",
                   json={"max_cold_rent_cents": 60_000, "reason": "Schwerbehinderung, Mehrbedarf"}, headers=tokens.staff())
    assert r.status_code == 200 and r.json["rent_limit_cents"] == 60_000
    assert client.post("/api/v1/proposals", json=body, headers=tokens.company(COMPANY)).status_code == 403
    r = client.post("/api/v1/proposals", json=body, headers=tokens.staff())
    assert r.status_code == 201 and r.json["run_id"] is None
    assert client.post("/api/v1/proposals", json=body, headers=tokens.staff()).status_code == 409
    r = client.post("/api/v1/proposals", json={**body, "flat_id": "00000000-0000-0000-0000-000000000000"}, headers=tokens.staff())
    assert r.status_code == 422 and "flat_id" in r.json["errors"]["json"]


def test_why_not_explains_each_flat_and_each_household(client, tokens, clock):
    clock.freeze(MONDAY)
    ok = offer(client, tokens, unit_ref="ok")
    dear = offer(client, tokens, unit_ref="dear", cold_rent_cents=70_000)
    no_pets = offer(client, tokens, unit_ref="no-pets", pets_allowed=False)
    household = refer(client, tokens, has_pets=True)
    r = client.get(f"/api/v1/households/{household['id']}/why-not", headers=tokens.staff())
    assert r.status_code == 200
    assert [v["id"] for v in r.json["eligible"]] == [ok["id"]] and r.json["eligible"][0]["score"]["total"] > 0
    reasons = {v["id"]: [f["rule"] for f in v["failed_rules"]] for v in r.json["excluded"]}
    assert reasons == {dear["id"]: ["rent"], no_pets["id"]: ["pets"]}
    r = client.get(f"/api/v1/flats/{no_pets['id']}/why-not", headers=tokens.staff())
    assert r.json["eligible"] == [] and r.json["excluded"][0]["failed_rules"][0]["rule"] == "pets"
    assert client.get(f"/api/v1/flats/{ok['id']}/why-not", headers=tokens.company(COMPANY)).status_code == 403


def test_withdrawing_a_household_frees_its_flat(client, tokens, clock, db):
    flat, household, p = one_proposal(client, tokens, clock)
    r = client.post(f"/api/v1/households/{household['id']}/withdraw", json={"reason": "verzogen"}, headers=tokens.staff())
    assert r.status_code == 200 and r.json["status"] == "withdrawn"
    assert state(client, tokens, "flats", flat["id"]) == "offered"
    assert client.get(f"/api/v1/proposals/{p['id']}", headers=tokens.staff()).json["status"] == "withdrawn"
    with db.session() as s:
        actions = s.execute(select(audit_log.c.entity, audit_log.c.action, audit_log.c.from_state, audit_log.c.to_state)
                            .where(audit_log.c.entity_id.in_([household["id"], flat["id"], p["id"]]))).all()
    assert ("household", "withdrawn", "proposed", "withdrawn") in actions
    assert ("proposal", "withdrawn", "open", "withdrawn") in actions
    assert ("flat", "reoffered", "reserved", "offered") in actions


def test_referral_with_needs_and_districts_and_bad_districts(client, tokens):
    h = refer(client, tokens, needs_wheelchair=True, preferred_districts=["Mitte"], excluded_districts=["Vaihingen"])
    assert h["needs_wheelchair"] and h["preferred_districts"] == ["Mitte"] and h["rent_limit_cents"] == 52_500
    r = client.post("/api/v1/households", json={"referral_no": "X-1", "adults": 1, "urgency": "inadequate_housing",
                                                 "name": "N", "preferred_districts": ["Gotham"]}, headers=tokens.staff())
    assert r.status_code == 422 and "preferred_districts" in r.json["errors"]["json"]
    r = client.post("/api/v1/households", json={"referral_no": "X-2", "adults": 1, "urgency": "inadequate_housing",
                                                 "name": "N", "preferred_districts": ["Mitte"], "excluded_districts": ["Mitte"]},
                    headers=tokens.staff())
    assert r.status_code == 422 and "excluded_districts" in r.json["errors"]["json"]
    r = client.put(f"/api/v1/households/{h['id']}/rent-limit", json={"max_cold_rent_cents": -1, "reason": "abc"},
                   headers=tokens.staff())
    assert r.status_code == 422


def test_business_metrics_count_states_without_personal_labels(client, tokens, clock, db):
    from matching.metrics import collect

    one_proposal(client, tokens, clock)
    refer(client, tokens, urgency="emergency_accommodation")
    with db.session() as s:
        families = {m.name: m for m in collect(s)}
    samples = {(m.name, tuple(sorted(s.labels.items()))): s.value for m in families.values() for s in m.samples}
    assert samples[("matching_households_waiting", (("urgency", "emergency_accommodation"),))] == 1
    assert samples[("matching_flats", (("state", "reserved"),))] == 1
    assert samples[("matching_proposals", (("state", "open"),))] == 1


def test_decline_report_counts_by_party_and_reason(client, tokens, clock):
    clock.freeze(MONDAY)
    refer(client, tokens)
    for n, (party, reason) in enumerate([("household", "location"), ("household", "location"), ("company", "other")]):
        offer(client, tokens, unit_ref=f"WE-{n}")
        run(client, tokens)
        [p] = proposals(client, tokens.staff(), status="open")
        body = {"party": party, "reason": reason}
        assert client.post(f"/api/v1/proposals/{p['id']}/decline", json=body, headers=tokens.staff()).status_code == 200
    r = client.get("/api/v1/reports/declines", headers=tokens.staff())
    assert [(x["party"], x["reason"], x["count"]) for x in r.json] == [("company", "other", 1), ("household", "location", 2)]
    assert r.json[1]["label_de"] == "Lage passt nicht" and r.json[1]["counts_towards_review"]
    assert client.get("/api/v1/reports/declines?from=2026-03-03", headers=tokens.staff()).json == []
    assert client.get("/api/v1/reports/declines?from=2026-03-03&to=2026-03-01", headers=tokens.staff()).status_code == 422
    assert client.get("/api/v1/reports/declines", headers=tokens.company(COMPANY)).status_code == 403


def test_referral_date_counts_for_waiting_time_and_cannot_lie_in_the_future(client, tokens, clock):
    clock.freeze(MONDAY)
    offer(client, tokens)
    old = refer(client, tokens, referred_on="2025-03-02")
    new = refer(client, tokens)
    r = client.post("/api/v1/households", json={"referral_no": "F-1", "adults": 1, "urgency": "inadequate_housing",
                                                 "name": "N", "referred_on": "2026-03-03"}, headers=tokens.staff())
    assert r.status_code == 422 and "referred_on" in r.json["errors"]["json"]
    run(client, tokens)
    [p] = proposals(client, tokens.staff())
    assert p["household_id"] == old["id"] and p["household_id"] != new["id"]
    waiting = next(c for c in p["score_breakdown"]["components"] if c["name"] == "waiting_time")
    assert abs(waiting["value"] - 365 / default_policy().scoring.waiting_time_full_after_days) < 1e-3


def test_flat_corrections_while_on_offer_do_not_touch_existing_snapshots(client, tokens, clock):
    flat, household, p = one_proposal(client, tokens, clock)
    url = f"/api/v1/flats/{flat['id']}"
    assert client.patch(url, json={"cold_rent_cents": 45_000}, headers=tokens.company(COMPANY)).status_code == 409
    client.post(f"/api/v1/proposals/{p['id']}/decline", json={"reason": "other"}, headers=tokens.company(COMPANY))
    assert client.patch(url, json={"cold_rent_cents": 45_000}, headers=tokens.company(OTHER_COMPANY)).status_code == 404
    assert client.patch(url, json={"cold_rent_cents": -1}, headers=tokens.company(COMPANY)).status_code == 422
    assert client.patch(url, json={"floor": 3, "wheelchair_accessible": True}, headers=tokens.company(COMPANY)).status_code == 422
    r = client.patch(url, json={"cold_rent_cents": 45_000}, headers=tokens.company(COMPANY))
    assert r.status_code == 200 and r.json["cold_rent_cents"] == 45_000 and r.json["district"] == "Ost"
    assert r.json["pets_allowed"] and r.json["unit_ref"] == "WE-12"  # untouched fields keep their values
    snap = client.get(f"/api/v1/proposals/{p['id']}", headers=tokens.staff()).json["snapshot"]
    assert snap["flat"]["cold_rent_cents"] == 48_000
