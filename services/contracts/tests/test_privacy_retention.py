"""The retention job, by the service's clock: contact data and incident texts go once no claim can
be filed any more (the grace period after the last covered day), everything personal after the
10-year period for financial records; a contract with an open claim waits; numbers and amounts stay."""

import io
from datetime import date, datetime, timedelta, timezone

import pypdf

from sqlalchemy import update

from servicekit.db import outbox

from contracts import jobs
from contracts.erasure import Periods
from contracts_testkit import at_berlin_noon
from privacy_helpers import EMAIL, NAME, NEEDLES, PHONE, STREET, TEXTS, household_story, scan

LAST_COVERED = date(2027, 6, 30)


def _contract(world, contract_id):
    return world.client.get(f"/api/v1/contracts/{contract_id}", headers=world.tokens.staff()).json


def test_contact_data_goes_after_the_grace_period_and_the_person_after_ten_years(world, job_context, clock, db):
    company = world.company()
    done, claim = household_story(world, company)
    held = world.contract(company, household={"name": "Olga Offen", "email": "olga@example.org", "size": 1})
    world.claim(held, kind="damage_repairs", amount=5_000)  # open: a legal hold
    world.client.post(f"/api/v1/contracts/{held['id']}/terminate", headers=world.tokens.staff(),
                      json={"reason": "move_out", "effective_on": str(LAST_COVERED)})
    running = world.contract(company, household={"name": "Rita Laufend", "size": 4})
    with db.engine.begin() as conn:  # the relay published the events long ago
        conn.execute(update(outbox).values(published_at=datetime(2027, 6, 15, tzinfo=timezone.utc)))

    clock.freeze(at_berlin_noon(LAST_COVERED + timedelta(days=180)))
    jobs.retention(job_context)
    assert _contract(world, done["id"])["tenancy"]["household"]["email"] == EMAIL  # claims may still come

    clock.freeze(at_berlin_noon(LAST_COVERED + timedelta(days=181)))
    jobs.retention(job_context)
    assert jobs.retention(job_context) == 0
    after_grace = _contract(world, done["id"])
    assert after_grace["tenancy"]["household"] == {"name": NAME, "email": None, "phone": None, "size": 2}
    assert after_grace["tenancy"]["address"]["street"] is None and after_grace["household_reference"] == "AS-2027-4711"
    found = {n for _, n in scan(db)}
    assert {EMAIL, PHONE, STREET}.isdisjoint(found) and {NAME, TEXTS["evidence"]} <= found
    staff = world.tokens.staff()
    [incident] = world.client.get(f"/api/v1/contracts/{done['id']}/incidents", headers=staff).json
    assert incident["description"] == "[gelöscht]"  # support's business ended with the tenancy
    assert world.client.get(f"/api/v1/claims/{claim['id']}", headers=staff).json["description"] == TEXTS["claim"]
    pdf = world.client.get(f"/api/v1/contracts/{done['id']}/document", headers=staff)
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.data)).pages)
    assert NAME in text and STREET not in text and "(gelöscht)" in text
    assert _contract(world, held["id"])["tenancy"]["household"]["email"] == "olga@example.org"

    clock.freeze(at_berlin_noon(date(2037, 6, 30)))  # 3653 days after the last covered day: not yet
    jobs.retention(job_context)
    assert NAME in {n for _, n in scan(db)}
    clock.freeze(at_berlin_noon(date(2037, 7, 1)))
    jobs.retention(job_context)
    assert scan(db, NEEDLES) == []
    erased = _contract(world, done["id"])
    assert (erased["contract_no"], erased["state"]) == (done["contract_no"], "terminated")
    paid = world.client.get(f"/api/v1/claims/{claim['id']}", headers=world.tokens.finance()).json
    assert (paid["approved_cents"], paid["status"], paid["description"]) == (100_000, "paid", "[gelöscht]")
    # the open claim still holds its contract; the running one is not due at all
    assert ("tenancies", "Olga Offen") in scan(db, ["Olga Offen"])
    assert _contract(world, running["id"])["tenancy"]["household"]["name"] == "Rita Laufend"


def test_retention_periods_come_from_configuration(settings, monkeypatch):
    assert Periods.from_settings(settings, 180) == Periods(timedelta(180), timedelta(3653), timedelta(7))
    monkeypatch.setenv("RETENTION_CONTRACT_CONTACT_DAYS", "30")
    monkeypatch.setenv("CONTRACTS_RETENTION_CONTRACT_ENDED_DAYS", "4000")
    periods = Periods.from_settings(settings, 180)
    assert (periods.contact, periods.ended) == (timedelta(30), timedelta(4000))
