"""The worker side: matching's events (redelivery has no second effect), the end-of-term job with a
travelling clock, and the business metrics."""

import uuid
from datetime import datetime, timedelta

from sqlalchemy import func, select

from contracts import jobs, metrics
from contracts.models import Contract, Tenancy
from contracts_testkit import at_berlin_noon, tenancy_event


def _count(db, model):
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_tenancy_agreed_redelivered_or_republished_creates_one_contract(worker, bus, db, wait_until):
    capture = bus.capture("contracts.contract.created")
    data = tenancy_event(str(uuid.uuid4()))
    first = bus.publish("matching.tenancy.agreed", data, source="matching")
    bus.publish("matching.tenancy.agreed", data, event_id=first.id, source="matching")  # redelivery
    bus.publish("matching.tenancy.agreed", data, source="matching")  # same lease, new event id
    marker = bus.publish("matching.tenancy.agreed", tenancy_event(str(uuid.uuid4())), source="matching")
    wait_until(lambda: _count(db, Contract) == 2)
    capture.wait_for("contracts.contract.created", lambda e: e["data"]["household_id"] == marker.data["household_id"])
    assert _count(db, Tenancy) == 2
    created = capture.of_type("contracts.contract.created")
    assert sorted(e["data"]["household_id"] for e in created) == sorted(
        [data["household_id"], marker.data["household_id"]])


def test_tenancy_event_as_matching_sends_it_with_gaps_creates_the_contract(worker, bus, db, wait_until, client, tokens):
    company = str(uuid.uuid4())
    data = tenancy_event(company, heating_cents=None, address=None,
                         household={"name": "Familie Test", "email": None, "phone": None, "size": 2},
                         both_accepted=True)
    bus.publish("matching.tenancy.agreed", data, source="matching")
    wait_until(lambda: _count(db, Contract) == 1)
    [contract] = client.get("/api/v1/contracts", headers=tokens.company(company)).json
    assert contract["tenancy"]["heating_cents"] == 0 and contract["tenancy"]["address"]["street"] is None
    pdf = client.get(f"/api/v1/contracts/{contract['id']}/document", headers=tokens.company(company))
    assert pdf.status_code == 200


def test_tenancy_event_without_lease_start_is_dead_lettered(worker, bus, settings, db, wait_until):
    data = tenancy_event(str(uuid.uuid4()))
    del data["lease_start"]
    bus.publish("matching.tenancy.agreed", data, source="matching")
    wait_until(lambda: bus.queue_depth(settings.dead_letter_queue) == 1)
    assert _count(db, Contract) == 0


def test_end_of_term_notices_once_each_then_expiry(world, worker, bus, job_context, clock):
    capture = bus.capture("contracts.contract.expiring", "contracts.contract.expired")
    company = world.company()
    contract = world.contract(company, lease_start="2022-12-01")  # term ends 2027-11-30
    other = world.contract(company, lease_start="2023-06-01")  # far from its end: untouched
    end = datetime(2027, 11, 30).date()

    clock.freeze(at_berlin_noon(end - timedelta(days=91)))
    assert jobs.end_of_term(job_context) == 0
    clock.freeze(at_berlin_noon(end - timedelta(days=90)))
    assert jobs.end_of_term(job_context) == 1
    assert jobs.end_of_term(job_context) == 0  # once only
    clock.freeze(at_berlin_noon(end - timedelta(days=30)))
    assert jobs.end_of_term(job_context) == 1
    clock.freeze(at_berlin_noon(end))  # the last day is still covered
    assert jobs.end_of_term(job_context) == 0
    clock.freeze(at_berlin_noon(end + timedelta(days=1)))
    assert jobs.end_of_term(job_context) == 1
    assert jobs.end_of_term(job_context) == 0

    expired = capture.wait_for("contracts.contract.expired")
    assert expired["data"]["contract_id"] == contract["id"] and expired["data"]["term_end"] == "2027-11-30"
    notices = [e["data"] for e in capture.of_type("contracts.contract.expiring")]
    assert [(n["contract_id"], n["days_left"]) for n in notices] == [(contract["id"], 90), (contract["id"], 30)]
    body = world.client.get(f"/api/v1/contracts/{contract['id']}", headers=world.tokens.staff()).json
    assert body["state"] == "expired" and body["expiry_notices_sent"] == [90, 30]
    assert world.client.get(f"/api/v1/contracts/{other['id']}", headers=world.tokens.staff()).json["state"] == "active"


def test_contracts_with_nothing_due_never_hide_those_behind_them(world, job_context, clock):
    company = world.company()
    end = datetime(2027, 11, 30).date()
    quiet = [world.contract(company, lease_start="2022-11-01") for _ in range(3)]  # end 2027-10-31
    due = world.contract(company, lease_start="2022-12-01")  # end 2027-11-30
    clock.freeze(at_berlin_noon(datetime(2027, 8, 15).date()))  # the quiet ones get their 90-day notice
    assert jobs.end_of_term(job_context, batch_size=2) == 3
    clock.freeze(at_berlin_noon(end - timedelta(days=90)))  # quiet ones: 60 days, nothing due; `due`: 90
    assert jobs.end_of_term(job_context, batch_size=2) == 1
    body = world.client.get(f"/api/v1/contracts/{due['id']}", headers=world.tokens.staff()).json
    assert body["expiry_notices_sent"] == [90]
    assert all(world.client.get(f"/api/v1/contracts/{q['id']}", headers=world.tokens.staff()).json[
        "expiry_notices_sent"] == [90] for q in quiet)


def test_business_metrics(world, db):
    from prometheus_client import REGISTRY

    company = world.company()
    contract = world.contract(company)
    world.contract(company, active=False)
    claim = world.claim(contract, kind="damage_repairs", amount=100_000)
    def sample(suffix, **labels):
        return REGISTRY.get_sample_value(f"contracts_claim_decision_seconds_{suffix}", labels or None) or 0

    one_day, three_days = {"le": str(86_400.0)}, {"le": str(3 * 86_400.0)}
    before = (sample("count"), sample("bucket", **one_day), sample("bucket", **three_days))
    world.clock.advance(days=2)
    world.client.post(f"/api/v1/claims/{claim['id']}/decision", json={"decision": "approve"},
                      headers=world.tokens.finance())
    world.client.post(f"/api/v1/claims/{claim['id']}/payout", json={"reference": "Z"}, headers=world.tokens.finance())
    with db.session() as session:
        families = {f.name: f for f in metrics.collect(session)}
    samples = {(f.name, tuple(s.labels.values())): s.value for f in families.values() for s in f.samples}
    assert samples[("contracts_contracts", ("active",))] == 1
    assert samples[("contracts_contracts", ("draft",))] == 1
    assert samples[("contracts_guarantee_exposure_cents", ())] == 1_200_000 + 1_000_000 + 500_000 - 100_000
    assert samples[("contracts_claims", ("paid",))] == 1
    assert samples[("contracts_payouts_cents", ())] == 100_000
    # decided two days after filing: counted, inside the 3-day bucket, outside the 1-day one
    after = (sample("count"), sample("bucket", **one_day), sample("bucket", **three_days))
    assert [a - b for a, b in zip(after, before)] == [1, 0, 1]
    scrape = world.client.get("/metrics").data.decode()
    assert "contracts_claim_decision_seconds_bucket" in scrape
