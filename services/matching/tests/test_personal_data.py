"""Personal data in matching: classification, free text encrypted at rest, each role's view, the
access log and the officer's export."""

from sqlalchemy import select, text

from servicekit.db.tables import access_log
from servicekit.privacy import unclassified

from matching.models import Base
from tests.helpers import COMPANY, MONDAY, offer, one_proposal, proposals, refer, run

OVERRIDE = {"max_cold_rent_cents": 60_000, "reason": "Pflegegrad 3, Rollstuhl: größere Wohnung nötig"}


def test_every_column_that_looks_personal_is_classified():
    assert unclassified(Base.metadata) == []


def test_free_text_is_stored_encrypted_and_read_back_in_plain(client, tokens, clock, db):
    flat, household, p = one_proposal(client, tokens, clock)
    url = f"/api/v1/households/{household['id']}"
    assert client.put(f"{url}/rent-limit", json=OVERRIDE, headers=tokens.staff()).status_code == 200
    r = client.post(f"/api/v1/proposals/{p['id']}/decline", headers=tokens.staff(),
                    json={"party": "household", "reason": "other", "text": "Mutter liegt im Krankenhaus"})
    assert r.status_code == 200 and r.json["decline_text"] == "Mutter liegt im Krankenhaus"
    assert client.post(f"{url}/withdraw", json={"reason": "Zieht zum Partner"}, headers=tokens.staff()).status_code == 200

    with db.engine.connect() as conn:
        raw = conn.execute(text("SELECT h.rent_limit_override_reason, h.withdrawal_reason, p.decline_text "
                                "FROM households h JOIN proposals p ON p.household_id = h.id")).one()
        trail = conn.execute(text("SELECT CAST(detail AS TEXT) FROM audit_log")).scalars().all()
    assert all(value.startswith("gAAAA") for value in raw)
    assert not any(word in " ".join(map(str, (*raw, *trail))) for word in ("Pflegegrad", "Krankenhaus", "Partner"))
    h = client.get(url, headers=tokens.staff()).json
    assert h["rent_limit_override_reason"] == OVERRIDE["reason"] and h["withdrawal_reason"] == "Zieht zum Partner"


def test_a_company_sees_neither_urgency_nor_scores_nor_the_households_decline_text(client, tokens, clock):
    flat, household, p = one_proposal(client, tokens, clock)
    me = tokens.company(COMPANY)
    seen = client.get(f"/api/v1/proposals/{p['id']}", headers=me).json
    assert set(seen) == {"id", "run_id", "flat_id", "household_id", "company_id", "status", "company_answer",
                         "household_answer", "score", "respond_by", "created_at", "decided_at", "decline_party",
                         "decline_reason", "decline_text", "lease", "household", "referral_no"}
    assert seen["referral_no"] is None  # pseudonymous until the company accepts
    assert "urgency" not in seen["household"] and "threatened" not in str(seen) and "EUR" not in str(seen)
    staff = client.get(f"/api/v1/proposals/{p['id']}", headers=tokens.staff()).json
    assert staff["snapshot"]["household"]["urgency"] == "threatened_homelessness" and staff["score_breakdown"]
    assert staff["household"]["name"] == "Erika Muster"

    client.post(f"/api/v1/proposals/{p['id']}/decline", headers=tokens.staff(),
                json={"party": "household", "reason": "other", "text": "Mutter liegt im Krankenhaus"})
    [declined] = proposals(client, me)
    assert declined["decline_reason"] == "other" and declined["decline_text"] is None
    assert client.get(f"/api/v1/proposals/{p['id']}", headers=tokens.staff()).json["decline_text"]


def test_a_company_reads_its_own_decline_text(client, tokens, clock):
    flat, household, p = one_proposal(client, tokens, clock)
    r = client.post(f"/api/v1/proposals/{p['id']}/decline", headers=tokens.company(COMPANY),
                    json={"reason": "other", "text": "Besichtigung verschoben"})
    assert r.json["decline_text"] == "Besichtigung verschoben"


def test_only_staff_read_household_records_and_the_dpo_gets_none(client, tokens, clock):
    household = refer(client, tokens)
    for role in ("dpo", "finance"):
        assert client.get(f"/api/v1/households/{household['id']}", headers=tokens.headers(role)).status_code == 403
    assert client.get(f"/api/v1/households/{household['id']}", headers=tokens.admin()).json["name"] == "Erika Muster"


def test_every_read_of_household_data_is_logged_and_the_dpo_reads_the_log(client, tokens, clock, db):
    flat, household, p = one_proposal(client, tokens, clock)  # refer + list proposals: already two reads
    other = refer(client, tokens, name="Max Beispiel")
    with db.engine.begin() as conn:
        conn.execute(access_log.delete())
    company = tokens.company(COMPANY, sub="vermieter-1")
    client.get(f"/api/v1/households/{household['id']}", headers=tokens.headers("staff", sub="sb-4"))
    client.get("/api/v1/households", headers=tokens.headers("staff", sub="sb-4"))
    client.get(f"/api/v1/households/{household['id']}/why-not", headers=tokens.headers("staff", sub="sb-4"))
    client.get(f"/api/v1/flats/{flat['id']}/why-not", headers=tokens.headers("staff", sub="sb-4"))
    client.get(f"/api/v1/proposals/{p['id']}", headers=company)
    client.get("/api/v1/flats", headers=company)  # no household data: not logged

    with db.session() as s:
        rows = s.execute(select(access_log).order_by(access_log.c.id)).mappings().all()
    assert [(r["actor"], r["household_id"], r["operation"]) for r in rows] == [
        ("sb-4", household["id"], "GET /api/v1/households/<uuid:household_id>"),
        *sorted([("sb-4", household["id"], "GET /api/v1/households"), ("sb-4", other["id"], "GET /api/v1/households")],
                key=lambda r: r[1]),
        ("sb-4", household["id"], "GET /api/v1/households/<uuid:household_id>/why-not"),
        ("sb-4", other["id"], "GET /api/v1/flats/<uuid:flat_id>/why-not"),
        ("vermieter-1", household["id"], "GET /api/v1/proposals/<uuid:proposal_id>"),
    ]
    assert rows[-1]["company_id"] == COMPANY and rows[-1]["purpose"] == "tenancy_management"
    assert rows[0]["purpose"] == "referral_and_placement"

    log = client.get(f"/api/v1/privacy/access-log?household_id={household['id']}", headers=tokens.headers("dpo"))
    assert log.status_code == 200 and [e["actor"] for e in log.json] == ["vermieter-1", "sb-4", "sb-4", "sb-4"]
    assert client.get("/api/v1/privacy/access-log", headers=tokens.staff()).status_code == 403


def test_the_export_holds_this_households_data_and_nothing_of_another(client, tokens, clock):
    flat, household, p = one_proposal(client, tokens, clock)
    client.put(f"/api/v1/households/{household['id']}/rent-limit", json=OVERRIDE, headers=tokens.staff())
    client.post(f"/api/v1/proposals/{p['id']}/decline", headers=tokens.staff(),
                json={"party": "household", "reason": "other", "text": "Mutter liegt im Krankenhaus"})
    other = refer(client, tokens, name="Max Beispiel", email="max@example.org")
    offer(client, tokens)
    run(client, tokens)

    url = f"/api/v1/privacy/households/{household['id']}/export"
    assert client.get(url, headers=tokens.staff()).status_code == 403
    export = client.get(url, headers=tokens.headers("dpo")).json
    [h] = export["records"]["households"]
    assert h["name"] == "Erika Muster" and h["rent_limit_override_reason"] == OVERRIDE["reason"]
    # declined, then the next run proposed the other flat
    assert {x["status"]: x["decline_text"] for x in export["records"]["proposals"]} == {
        "declined": "Mutter liegt im Krankenhaus", "open": None}
    assert export["fields"]["households.phone"]["label"] == "Telefon"
    assert "Max Beispiel" not in str(export) and other["id"] not in str(export)
