"""The whole WohnenPlus story end to end (issue 8).

All eight processes run as `make run` starts them (gunicorn web and worker of each service, one
PostgreSQL database each, a broker prefix of their own), driven only through the HTTP APIs with
real tokens. Mail goes to a real SMTP server (aiosmtpd) and the company's webhook calls to a real
local HTTP receiver that verifies each signature, as a company's system would.

Time travel: the contracts worker decides expiry notices and expiry in its `end-of-term` job, which
runs at worker start and then hourly with `WOHNENPLUS_CLOCK_OFFSET_DAYS` honoured by its
SystemClock. The story restarts only that worker with an offset (60 days before the end, 20 days
before, past the end); the other processes keep the real time, so webhook timestamps stay
verifiable and support's planner does not book five years of visits. Support reacts to the
`contracts.contract.expired` event and closes the case with the outcome staff recorded.

Steps 7-9 (issue 10): the data protection officer reads the access log, exports the household
through `wohnenplus privacy export`, has it erased in all four services, and no log line of the
whole run carries a household's name, address or free text.

The steps run in order and share one `world`; a step after a failed one is skipped.
"""

from __future__ import annotations

import base64
import functools
import json
import re
import subprocess
import threading
from datetime import date, datetime, timedelta, timezone
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from aiosmtpd.controller import Controller
from cryptography.fernet import Fernet, MultiFernet
from sqlalchemy import create_engine
from standardwebhooks import Webhook

from notifications.domain.formatting import month_de
from servicekit.privacy import crypto
from servicekit.testing import stored_values, wait_until
from servicekit.workdays import BERLIN, is_working_day
from system import BIN, System, free_port

TIMEOUT = 30  # seconds any one event chain may take on a loaded 2-core machine
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


# --------------------------------------------------------------------------- receivers


class Mailbox:
    """aiosmtpd handler keeping every message received, parsed."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's naming)
        parsed = message_from_bytes(envelope.content.replace(b"\r\n", b"\n"), policy=policy.default)
        with self.lock:
            self.messages.append(parsed)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages if address in str(m["To"])]


class WebhookReceiver:
    """A company's endpoint: stores each POST with whether its signature verified."""

    def __init__(self) -> None:
        self.secret: str | None = None
        self.calls: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                try:  # the Standard Webhooks library, as a company would verify
                    Webhook(receiver.secret).verify(body, dict(self.headers.items()))
                    verified = True
                except Exception:  # noqa: BLE001 — whatever fails to verify is refused
                    verified = False
                receiver.calls.append({"verified": verified, "delivery": self.headers.get("webhook-id"),
                                       "body": json.loads(body) if verified else None})
                self.send_response(204 if verified else 401)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/wohnenplus"

    def types(self) -> list[str]:
        return [c["body"]["type"] for c in self.calls if c["verified"]]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# --------------------------------------------------------------------------- the system


class World(dict):
    """What the steps learn, plus the system, its receivers and little HTTP helpers."""

    failed: str | None = None

    def __init__(self, system: System, mail: Mailbox, hooks: WebhookReceiver) -> None:
        super().__init__()
        self.system, self.mail, self.hooks = system, mail, hooks
        self.http = requests.Session()
        self.hidden: list[tuple[str, str]] = []  # (service, path) company A owns: company B must get 404

    def call(self, method: str, service: str, path: str, headers: dict, expect: int | None = 200, **kwargs):
        response = self.http.request(method, f"{self.system.url(service)}/api/v1{path}", headers=headers,
                                     timeout=15, **kwargs)
        if expect is not None:
            assert response.status_code == expect, f"{method} {service}{path}: {response.status_code} {response.text[:500]}"
        return response

    def get(self, service: str, path: str, headers: dict, **kwargs):
        return self.call("GET", service, path, headers, **kwargs).json()

    def post(self, service: str, path: str, headers: dict, body: dict | None = None, expect: int = 200, **kwargs):
        return self.call("POST", service, path, headers, expect=expect, json=body or {}, **kwargs).json()

    def poll(self, service: str, path: str, headers: dict, predicate, message: str):
        """GET until `predicate(answer)` is truthy; returns what it returned."""
        def attempt():
            response = self.http.get(f"{self.system.url(service)}/api/v1{path}", headers=headers, timeout=15)
            return predicate(response.json()) if response.status_code == 200 else None

        return wait_until(attempt, timeout=TIMEOUT, interval=0.2, message=message)

    def inbox(self, headers: dict, event_type: str) -> list[dict]:
        return [n for n in self.get("notifications", "/inbox?page_size=100", headers) if n["event_type"] == event_type]

    def wait_inbox(self, headers: dict, event_type: str, count: int = 1) -> list[dict]:
        return self.poll("notifications", "/inbox?page_size=100", headers,
                         lambda items: (found := [n for n in items if n["event_type"] == event_type])
                         and len(found) >= count and found,
                         f"{event_type} not in the inbox")

    def wait_mail(self, address: str, subject_part: str) -> EmailMessage:
        return wait_until(lambda: next((m for m in self.mail.to(address) if subject_part in str(m["Subject"])), None),
                          timeout=TIMEOUT, interval=0.2, message=f"no mail '{subject_part}' to {address}")

    def wait_hook(self, event_type: str) -> dict:
        return wait_until(lambda: next((c["body"] for c in self.hooks.calls
                                        if c["verified"] and c["body"]["type"] == event_type), None),
                          timeout=TIMEOUT, interval=0.2, message=f"no signed webhook call for {event_type}")

    def own(self, service: str, path: str) -> None:
        """Company A can read `path`; remember it for the isolation checks."""
        self.call("GET", service, path, self["company_a"])
        self.hidden.append((service, path))

    def assert_isolated(self) -> None:
        """Issue step 6, at every step: company B reads none of company A's objects."""
        for service, path in self.hidden:
            response = self.call("GET", service, path, self["company_b"], expect=None)
            assert response.status_code == 404, f"company B read {service}{path}: {response.status_code}"


@pytest.fixture(scope="module", params=["postgresql", "make-run-sqlite"])
def world(request, tmp_path_factory):
    """The story runs twice: on PostgreSQL with one process per command, and as `make run` starts
    the system on a fresh machine (the Procfile under honcho, every service on its SQLite file)."""
    World.failed = None
    controller = Controller(Mailbox(), hostname="127.0.0.1", port=free_port())
    controller.start()
    hooks = WebhookReceiver()
    system = System(tmp_path_factory.mktemp("story"), make_run=request.param == "make-run-sqlite", extra_env={
        "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(controller.port), "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
        "MAIL_FROM": "wohnenplus@stuttgart.example", "LOG_LEVEL": "INFO",  # every log line, for the privacy scan
    })
    try:
        system.start()
        yield World(system, controller.handler, hooks)
    finally:
        system.shutdown()
        hooks.stop()
        controller.stop()


def step(test):
    """Run steps in order: once one fails, the later ones are skipped (they build on it)."""

    @functools.wraps(test)
    def run(world):
        if World.failed:
            pytest.skip(f"an earlier step failed: {World.failed}")
        try:
            test(world)
        except BaseException:
            World.failed = test.__name__
            raise
        world.assert_isolated()

    return run


def berlin_today() -> date:
    return datetime.now(BERLIN).date()


# --------------------------------------------------------------------------- the story

FLATS = [  # three flats of company A around the city's cold-rent limits (rent_limits.json)
    {"unit_ref": "BC-2-07", "street": "Wilhelmstraße 12", "postal_code": "70372", "district": "Bad Cannstatt",
     "rooms": 2, "area_m2": 55, "floor": 2, "lift": True, "cold_rent_cents": 59_000,
     "service_charges_cents": 16_000, "heating_cents": 8_000},
    {"unit_ref": "ZU-0-01", "street": "Unterländer Straße 80", "postal_code": "70435", "district": "Zuffenhausen",
     "rooms": 3.5, "area_m2": 82, "floor": 0, "barrier_free": True, "cold_rent_cents": 84_000,
     "service_charges_cents": 22_000, "heating_cents": 11_000},
    {"unit_ref": "VA-3-12", "street": "Hauptstraße 30", "postal_code": "70563", "district": "Vaihingen",
     "rooms": 1, "area_m2": 32, "floor": 3, "cold_rent_cents": 45_000,
     "service_charges_cents": 12_000, "heating_cents": 6_000},
]

HOUSEHOLDS = [  # five referrals of different sizes, needs and urgency
    {"key": "couple", "adults": 2, "urgency": "emergency_accommodation", "name": "Aylin und Murat Demir",
     "email": "demir@haushalt.example", "preferred_districts": ["Bad Cannstatt"]},
    {"key": "family", "adults": 2, "children": 2, "urgency": "threatened_homelessness", "name": "Familie Nowak",
     "email": "nowak@haushalt.example", "needs_ground_floor_or_lift": True, "preferred_districts": ["Zuffenhausen"]},
    {"key": "single", "adults": 1, "urgency": "inadequate_housing", "name": "Jonas Weber",
     "email": "weber@haushalt.example"},
    {"key": "wheelchair", "adults": 1, "children": 1, "urgency": "threatened_homelessness", "name": "Sabine Roth",
     "needs_wheelchair": True, "needs_barrier_free": True},
    {"key": "large", "adults": 3, "children": 2, "urgency": "emergency_accommodation", "name": "Familie Haddad"},
]


@step
def test_1_company_caseworkers_flats_and_referrals(world):
    s = world.system
    admin, staff = s.token("admin"), s.token("staff")
    world["staff"], world["admin"], world["finance"] = staff, admin, s.token("finance", sub="e2e-finance")
    run = s.run_id
    companies = {}
    for key, name in (("a", "Neckar Wohnbau"), ("b", "Filder Wohnen")):
        companies[key] = world.post("contracts", "/companies", admin, {
            "name": f"{name} {run}", "email": f"vermietung-{key}@wohnbau.example", "street": "Königstraße 1",
            "postal_code": "70173", "city": "Stuttgart", "quota_flats_per_year": 12}, expect=201)
    world["company_a_id"], world["company_b_id"] = companies["a"]["id"], companies["b"]["id"]
    world["company_a"] = s.token("company", company_id=companies["a"]["id"], sub="e2e-company-a")
    world["company_b"] = s.token("company", company_id=companies["b"]["id"], sub="e2e-company-b")
    world.wait_inbox(world["company_a"], "contracts.company.registered")
    for key in ("a", "b"):  # matching learns the companies from the same event; until then it refuses their flats
        world.poll("matching", f"/companies/{companies[key]['id']}", world[f"company_{key}"],
                   lambda company: company["registered_at"], "matching never learned of the company")

    # the company's system receives signed webhooks from now on
    hook = world.call("PUT", "notifications", f"/companies/{companies['a']['id']}/webhook", world["company_a"],
                      json={"url": world.hooks.url}).json()
    world.hooks.secret = hook["secret"]
    world.own("notifications", f"/companies/{companies['a']['id']}/webhook")
    world.own("contracts", f"/companies/{companies['a']['id']}")

    caseworkers = []
    for name, email in (("Petra Schäfer", "p.schaefer@stuttgart.example"), ("Markus Yilmaz", "m.yilmaz@stuttgart.example")):
        caseworkers.append(world.post("support", "/caseworkers", admin, {
            "name": name, "email": email, "phone": "0711 216-0", "max_cases": 25}, expect=201))
    world["caseworkers"] = {c["id"]: c for c in caseworkers}
    for c in caseworkers:  # each got a German welcome in their own inbox
        token = s.token("caseworker", sub=c["id"])
        [note] = world.wait_inbox(token, "support.caseworker.registered")
        assert "WohnenPlus" in note["subject"] + note["body"]

    today = berlin_today()
    flats = []
    for flat in FLATS:
        flats.append(world.post("matching", "/flats", world["company_a"],
                                {**flat, "available_from": today.isoformat()}, expect=201))
    world["flats"] = flats
    for flat in flats:
        assert flat["company_id"] == companies["a"]["id"] and flat["status"] == "offered"
        world.own("matching", f"/flats/{flat['id']}")
    assert world.get("matching", "/flats", world["company_b"]) == []

    households = {}
    for i, household in enumerate(HOUSEHOLDS):
        body = {k: v for k, v in household.items() if k != "key"}
        households[household["key"]] = world.post("matching", "/households", staff, {
            **body, "referral_no": f"AS-{run}-{i + 1:04d}"}, expect=201)
    world["households"] = households
    assert {h["size"] for h in households.values()} == {1, 2, 4, 5}
    assert households["couple"]["rent_limit_cents"] == 61_800  # the city's limit for two persons
    # staff work through referrals in their inbox; the inbox text carries no name
    referred = world.wait_inbox(staff, "matching.household.referred", count=5)
    assert not any("Demir" in n["body"] for n in referred)


@step
def test_2_matching_run_answers_and_lease(world):
    staff, company = world["staff"], world["company_a"]
    flats = {f["unit_ref"]: f for f in world["flats"]}
    households = world["households"]

    queued = world.post("matching", "/matching-runs", staff, expect=202)  # the worker runs it (issue 23)
    matching_run = world.poll("matching", f"/matching-runs/{queued['id']}", staff,
                              lambda run: run if run["status"] != "pending" else None, "the matching run never finished")
    assert matching_run["status"] == "completed", matching_run
    assert matching_run["proposals_created"] == 3 and matching_run["certified_optimal"]
    proposals = world.get("matching", "/proposals?status=open", company)
    pairs = {(p["flat_id"], p["household_id"]): p for p in proposals}
    assert set(pairs) == {
        (flats["BC-2-07"]["id"], households["couple"]["id"]),
        (flats["ZU-0-01"]["id"], households["family"]["id"]),
        (flats["VA-3-12"]["id"], households["single"]["id"]),
    }, "the run proposes the only eligible flat to each household that has one"
    for p in proposals:
        world.own("matching", f"/proposals/{p['id']}")
        assert "name" not in p["household"] and "urgency" not in p["household"], "pseudonymous until accepted"
        assert p["score"] > 0 and "rules_passed" not in p, "a company sees the score, not the rules behind it"
    couple = pairs[(flats["BC-2-07"]["id"], households["couple"]["id"])]
    family = pairs[(flats["ZU-0-01"]["id"], households["family"]["id"])]
    world.wait_inbox(company, "matching.proposal.created", count=3)
    assert world.wait_hook("matching.proposal.created")["data"]["proposal_id"] in {p["id"] for p in proposals}

    declined = world.post("matching", f"/proposals/{family['id']}/decline", company, {
        "reason": "household_does_not_fit_house", "text": "Hausgemeinschaft mit vielen Senioren, sehr hellhörig."})
    assert declined["status"] == "declined" and declined["decline_reason"] == "household_does_not_fit_house"
    assert world.get("matching", f"/flats/{flats['ZU-0-01']['id']}", company)["status"] == "offered"

    accepted = world.post("matching", f"/proposals/{couple['id']}/accept", company)
    assert accepted["company_answer"] == "accepted" and accepted["household"]["name"] == "Aylin und Murat Demir"
    both = world.post("matching", f"/proposals/{couple['id']}/accept", staff, {"party": "household"})
    assert both["status"] == "accepted"

    lease_start = berlin_today()
    flat = flats["BC-2-07"]
    leased = world.post("matching", f"/proposals/{couple['id']}/lease", company, {
        "lease_start": lease_start.isoformat(), "unlimited": True, "cold_rent_cents": flat["cold_rent_cents"],
        "service_charges_cents": flat["service_charges_cents"], "heating_cents": flat["heating_cents"]})
    assert leased["status"] == "leased"
    assert world.get("matching", f"/households/{households['couple']['id']}", staff)["status"] == "housed"
    world["proposal"], world["lease_start"], world["flat"] = couple, lease_start, flat


@step
def test_3_guarantee_case_appointments_and_messages(world):
    s, staff, company = world.system, world["staff"], world["company_a"]
    household = world["households"]["couple"]
    lease_start = world["lease_start"]

    # the guarantee contract appears for the company as a numbered 5-year draft
    [contract] = world.poll("contracts", "/contracts", company, lambda items: items, "no contract for company A")
    assert contract["state"] == "draft" and contract["household_id"] == household["id"]
    assert contract["contract_no"].startswith(f"GV-{lease_start.year}-") and len(contract["contract_no"]) == 13
    assert contract["term_start"] == lease_start.isoformat()
    fifth = lease_start.replace(year=lease_start.year + 5) if not (lease_start.month == 2 and lease_start.day == 29) \
        else date(lease_start.year + 5, 3, 1)
    assert contract["term_end"] == (fifth - timedelta(days=1)).isoformat()
    assert contract["monthly_covered_rent_cents"] == 75_000
    cid = contract["id"]
    world["contract"] = contract
    for path in (f"/contracts/{cid}", f"/contracts/{cid}/history", f"/contracts/{cid}/document"):
        world.own("contracts", path)
    assert world.get("contracts", "/contracts", world["company_b"]) == []

    # both sides sign, in either order; then it is active
    world.post("contracts", f"/contracts/{cid}/sign", company, {"party": "company"})
    active = world.post("contracts", f"/contracts/{cid}/sign", staff, {"party": "city"})
    assert active["state"] == "active" and active["city_signature"] and active["company_signature"]
    world.post("contracts", f"/contracts/{cid}/sign", staff, {"party": "city"}, expect=409)
    pdf = world.call("GET", "contracts", f"/contracts/{cid}/document", company)
    assert pdf.headers["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert contract["contract_no"] in pdf.headers["Content-Disposition"]

    # the support case opens with a fixed contact person and planned first visits on working days
    [case] = world.poll("support", "/cases", staff,
                        lambda items: [c for c in items if c["household_id"] == household["id"]], "no support case")
    assert case["status"] == "open" and case["contact_person"]["id"] in world["caseworkers"]
    world["case"] = case
    world.own("support", f"/cases/{case['id']}")
    company_view = world.get("support", f"/cases/{case['id']}", company)
    assert company_view["contact_person"]["name"] == case["contact_person"]["name"]
    assert "household_name" not in company_view
    world.poll("support", f"/cases/{case['id']}", staff, lambda c: c["contract_id"] == cid, "case never learnt its contract")
    appointments = world.poll("support", f"/cases/{case['id']}/appointments", staff, lambda items: items,
                              "no appointments booked")
    assert all(is_working_day(datetime.fromisoformat(a["starts_at"]).astimezone(BERLIN).date()) for a in appointments)
    assert all(8 <= datetime.fromisoformat(a["starts_at"]).astimezone(BERLIN).hour < 18 for a in appointments)
    first = min(datetime.fromisoformat(a["starts_at"]) for a in appointments)
    assert first.astimezone(BERLIN).date() <= lease_start + timedelta(days=14)

    # German messages: company (inbox, email, signed webhook), household (email), caseworker (inbox, email)
    for event_type in ("matching.tenancy.agreed", "contracts.contract.created", "contracts.contract.activated",
                       "support.case.opened"):
        world.wait_inbox(company, event_type)
        if event_type != "support.case.opened":  # routed to the company's inbox and email, not its webhook
            world.wait_hook(event_type)
    opened = world.inbox(company, "support.case.opened")[0]
    assert case["contact_person"]["name"] in opened["body"]
    activated = world.inbox(company, "contracts.contract.activated")[0]
    assert contract["contract_no"] in activated["subject"] + activated["body"]
    mail = world.wait_mail("vermietung-a@wohnbau.example", contract["contract_no"])
    assert "Garantievertrag" in str(mail["Subject"])
    welcome = world.wait_mail(household["email"], "Ihre neue Wohnung")
    assert "Wilhelmstraße 12" in welcome.get_body(("plain",)).get_content()
    contact_mail = world.wait_mail(household["email"], "Ihre feste Ansprechperson")
    assert case["contact_person"]["name"] in str(contact_mail["Subject"])
    worker_ids = {a["caseworker_id"] for a in appointments}
    for caseworker_id in worker_ids:
        token = s.token("caseworker", sub=caseworker_id)
        world.wait_inbox(token, "support.appointment.scheduled")
        world.wait_mail(world["caseworkers"][caseworker_id]["email"], "Termin")
    assert all(c["verified"] for c in world.hooks.calls), "every webhook call carries a valid signature"
    deliveries = [c["delivery"] for c in world.hooks.calls]
    assert len(deliveries) == len(set(deliveries))


@step
def test_4_incident_crisis_claims_and_payout(world):
    staff, company, finance = world["staff"], world["company_a"], world["finance"]
    cid, case = world["contract"]["id"], world["case"]

    incident = world.post("contracts", f"/contracts/{cid}/incidents", company, {
        "kind": "payment_delay", "severity": "high",
        "description": "Miete für diesen Monat nicht eingegangen, Mieter telefonisch nicht erreichbar."}, expect=201)
    world.own("contracts", f"/incidents/{incident['id']}")
    [crisis] = world.poll("support", f"/cases/{case['id']}/crises", staff,
                          lambda items: [c for c in items if c["trigger"] == "incident" and c["appointment_id"]],
                          "no crisis appointment for the incident")
    appointment = world.get("support", f"/appointments/{crisis['appointment_id']}", staff)
    starts, deadline = datetime.fromisoformat(appointment["starts_at"]), datetime.fromisoformat(crisis["deadline"])
    assert appointment["kind"] == "crisis" and starts <= deadline, "the crisis appointment lies inside the SLA"
    assert is_working_day(starts.astimezone(BERLIN).date())
    reported = datetime.fromisoformat(incident["reported_at"]).astimezone(BERLIN).date()
    assert sum(is_working_day(reported + timedelta(days=d)) for d in range(1, (deadline.astimezone(BERLIN).date() - reported).days + 1)) <= 2
    assert world.get("support", f"/cases/{case['id']}", staff)["at_risk"] is True
    contact = world.system.token("caseworker", sub=case["contact_person"]["id"])
    world.wait_inbox(contact, "contracts.incident.reported")

    # a rent-arrears claim for this month; finance approves part; the payout is recorded
    month = world["lease_start"].strftime("%Y-%m")
    ledger = {"kind": "rent_ledger", "filename": "mietkonto.pdf", "content_type": "application/pdf",
              "content_base64": base64.b64encode(PDF).decode()}
    claim = world.post("contracts", f"/contracts/{cid}/claims", company, {
        "kind": "rent_arrears", "amount_cents": 75_000, "period": {"first": month, "last": month},
        "description": "Mietrückstand Kaltmiete und Nebenkosten.", "evidence": [ledger]}, expect=201)
    assert claim["status"] == "submitted"
    world.own("contracts", f"/claims/{claim['id']}")
    world.own("contracts", f"/claims/{claim['id']}/documents/{claim['documents'][0]['id']}")
    world.wait_inbox(finance, "contracts.claim.submitted")
    world.poll("support", f"/cases/{case['id']}/crises", staff,
               lambda items: [c for c in items if c["trigger"] == "rent_arrears"], "no crisis for the arrears claim")
    decided = world.post("contracts", f"/claims/{claim['id']}/decision", finance, {
        "decision": "approve", "approved_cents": 59_000, "reason": "Nebenkosten-Vorauszahlung bereits erstattet."})
    assert decided["status"] == "partially_approved" and decided["approved_cents"] == 59_000
    paid = world.post("contracts", f"/claims/{claim['id']}/payout", finance, {"reference": f"ZA-{world.system.run_id}-1"})
    assert paid["status"] == "paid" and paid["paid_at"]
    world.post("contracts", f"/claims/{claim['id']}/payout", finance, {"reference": "again"}, expect=409)
    for event_type in ("contracts.claim.decided", "contracts.claim.paid"):
        world.wait_inbox(company, event_type)
        assert world.wait_hook(event_type)["data"]["claim_id"] == claim["id"]
    world.wait_mail("vermietung-a@wohnbau.example", "Auszahlung")
    arrears_cap = next(c for c in world.get("contracts", f"/contracts/{cid}", company)["coverage"]
                       if "rent_arrears" in c["kinds"])
    assert arrears_cap["remaining_cents"] == arrears_cap["cap_cents"] - 59_000

    # a claim over the cap is refused, and writes nothing
    invoice = {**ledger, "kind": "invoice", "filename": "rechnung.pdf"}
    refused = world.call("POST", "contracts", f"/contracts/{cid}/claims", company, expect=422, json={
        "kind": "damage_repairs", "amount_cents": 1_000_001, "description": "Wasserschaden Bad.",
        "evidence": [invoice]}).json()
    assert refused["code"] == "claim.cap_exceeded" and "amount_cents" in json.dumps(refused["errors"])
    assert len(world.get("contracts", f"/contracts/{cid}/claims", company)) == 1
    world["claim"] = claim


@step
def test_5_time_moves_on_expiry_and_case_closed(world):
    staff, company = world["staff"], world["company_a"]
    contract, case = world["contract"], world["case"]
    cid = contract["id"]
    days_to_end = (date.fromisoformat(contract["term_end"]) - berlin_today()).days
    contact = world.system.token("caseworker", sub=case["contact_person"]["id"])

    # the contact person records the outcome the case should close with
    recorded = world.post("support", f"/cases/{case['id']}/outcome", contact, {"outcome": "living_independently"})
    assert recorded["status"] == "open"

    # 60 days before the end: the 90-day notice; 20 days before: the 30-day notice
    for days_left, notices in ((60, [90]), (20, [90, 30])):
        world.system.worker_with_clock("contracts", days_to_end - days_left)
        world.poll("contracts", f"/contracts/{cid}", company,
                   lambda c, n=notices: sorted(c["expiry_notices_sent"]) == sorted(n) and c,
                   f"expiry notices {notices} not sent")
        expiring = world.wait_inbox(company, "contracts.contract.expiring", count=len(notices))
        # The worker's clock is shifted by whole days from this instant; its day is the shifted
        # instant's day in Stuttgart, one later than today + N when the shift lands in summer time
        # and it is past 22:00 UTC (a run at 22:17 UTC saw "in 59 Tagen").
        shifted = datetime.now(timezone.utc) + timedelta(days=days_to_end - days_left)  # as SystemClock
        shown = (date.fromisoformat(contract["term_end"]) - shifted.astimezone(BERLIN).date()).days
        assert any(f"in {shown} Tagen" in n["body"] for n in expiring), [n["body"] for n in expiring]
        world.wait_inbox(contact, "contracts.contract.expiring", count=len(notices))
    assert world.get("contracts", f"/contracts/{cid}", company)["state"] == "active"

    # the day after the last covered day: expired, the case closes with the recorded outcome
    world.system.worker_with_clock("contracts", days_to_end + 2)
    expired = world.poll("contracts", f"/contracts/{cid}", company, lambda c: c["state"] == "expired" and c,
                         "contract did not expire")
    assert expired["ended_on"]
    closed = world.poll("support", f"/cases/{case['id']}", staff, lambda c: c["status"] == "closed" and c,
                        "case not closed after expiry")
    assert closed["outcome"] == "living_independently"
    world.wait_inbox(company, "contracts.contract.expired")
    world.wait_hook("contracts.contract.expired")
    world.wait_inbox(contact, "contracts.contract.expired")
    # an ended contract takes no new incident reports
    world.call("POST", "contracts", f"/contracts/{cid}/incidents", company, expect=409,
               json={"kind": "other", "severity": "low", "description": "Nachmeldung"})


@step
def test_6_the_second_company_saw_nothing(world):
    """The isolation check ran after every step; here the lists and writes of company B."""
    other = world["company_b"]
    assert len(world.hidden) >= 15
    for service, path in (("matching", "/flats"), ("matching", "/proposals"), ("contracts", "/contracts"),
                          ("contracts", "/claims"), ("contracts", "/incidents"), ("contracts", "/tenancies"),
                          ("support", "/cases")):
        assert world.get(service, path, other) == [], f"company B listed {service}{path}"
    cid = world["contract"]["id"]
    world.call("POST", "contracts", f"/contracts/{cid}/incidents", other, expect=404,
               json={"kind": "other", "severity": "low", "description": "fremd"})
    world.call("POST", "matching", f"/proposals/{world['proposal']['id']}/accept", other, expect=404, json={})
    assert world.inbox(other, "contracts.contract.created") == []


@step
def test_6a_messages_name_what_people_know_and_link_to_it(world):
    """Issue 22: what people received in the story names things by the references they quote, no
    id anywhere but inside a link, and every link opens its matter for its recipient."""
    s, case, contract = world.system, world["case"], world["contract"]
    contact = s.token("caseworker", sub=case["contact_person"]["id"])
    readers = {"company": world["company_a"], "staff": world["staff"], "finance": world["finance"],
               "operators": world["admin"], **{f"caseworker {i}": s.token("caseworker", sub=i)
                                              for i in world["caseworkers"]}}
    inboxes = {who: world.get("notifications", "/inbox?page_size=100", token) for who, token in readers.items()}
    links = 0
    for who, messages in inboxes.items():
        for note in messages:
            readable = note["subject"] + "\n" + note["body"]
            for link in LINK.findall(readable):
                service, path = _service_path(link)
                world.call("GET", service, path, readers[who])  # the matter opens for its recipient
                readable = readable.replace(link, "")
                links += 1
            assert not UUID.search(readable), f"{who} read an id in {note['event_type']}: {readable}"
    assert links >= 20
    mails = [m for m in world.mail.messages]
    assert mails
    for mail in mails:
        for part in ("plain", "html"):
            found = mail.get_body((part,))
            assert found is not None, f"{mail['Subject']} has no {part} part"
            text = str(mail["Subject"]) + found.get_content()
            for link in LINK.findall(text):
                text = text.replace(link, "")
            assert not UUID.search(text), f"a mail ({part}) shows an id: {mail['Subject']}"

    def body(who, event_type):
        return next(n["subject"] + "\n" + n["body"] for n in inboxes[who] if n["event_type"] == event_type)

    paid = body("company", "contracts.claim.paid")
    assert contract["contract_no"] in paid and f"ZA-{s.run_id}-1" in paid and "590,00 €" in paid
    assert "Aylin und Murat Demir" in paid and f"AS-{s.run_id}-0001" in paid
    submitted = body("finance", "contracts.claim.submitted")
    assert contract["contract_no"] in submitted and "Mietschulden" in submitted and "Demir" not in submitted
    assert f"eingereicht am {berlin_today().strftime('%d.%m.%Y')}" in submitted
    assert f"Mietschulden {month_de(world['lease_start'].strftime('%Y-%m'))}" in submitted
    incident = next(n for n in world.get("notifications", "/inbox?page_size=100", contact)
                    if n["event_type"] == "contracts.incident.reported")
    assert "Aylin und Murat Demir" in incident["subject"] + incident["body"]
    assert contract["contract_no"] in incident["body"]
    visits = [n for who, notes in inboxes.items() if who.startswith("caseworker")
              for n in notes if n["event_type"] == "support.appointment.scheduled"]
    assert visits and all(f"Fall: {case['reference']}" in n["body"] for n in visits)


LINK = re.compile(r"https?://\S+")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)


def _service_path(link: str) -> tuple[str, str]:
    """`<base>/<service>/api/v1/<path>` (the default base URLs, config/links.json) -> (service, path)."""
    _, _, rest = link.partition("://")
    _, service, path = rest.split("/", 2)
    assert path.startswith("api/v1/"), link
    return service, "/" + path.removeprefix("api/v1")


# --------------------------------------------------------------------------- social data protection (issue 10)

COUPLE_TRACES = ("Demir", "demir@haushalt.example", "telefonisch nicht erreichbar", "Mietrückstand Kaltmiete",
                 "Nebenkosten-Vorauszahlung bereits erstattet")


def _scan(world) -> dict[str, str]:
    """Every stored value of each service's database (encrypted ones decrypted), one string each."""
    s = world.system
    keyring = MultiFernet([Fernet(k) for k in crypto.keys_from(s.settings)])
    found = {}
    for name in s.services:
        engine = create_engine(s.database_url(name))
        try:
            found[name] = "\n".join(value for _, value in stored_values(engine, keyring))
        finally:
            engine.dispose()
    return found


@step
def test_7_reads_are_logged_and_the_dpo_exports_a_household(world):
    s, household = world.system, world["households"]["couple"]
    dpo = s.token("dpo", sub="e2e-dpo")
    reads = world.get("matching", f"/privacy/access-log?household_id={household['id']}&page_size=100", dpo)
    assert {r["actor_role"] for r in reads} >= {"staff", "company"}
    assert all(r["household_id"] == household["id"] and r["purpose"] for r in reads)
    world.call("GET", "matching", "/privacy/access-log", world["staff"], expect=403)

    env = {**s.env, **{f"{name.upper()}_URL": s.url(name) for name in s.services}}
    tmp_path = s.workdir / "export"
    subprocess.run([str(BIN / "wohnenplus"), "privacy", "export", household["id"], "--out", str(tmp_path)],
                   env=env, check=True, capture_output=True, timeout=60)
    bundle = json.loads((tmp_path / "bundle.json").read_text())
    assert set(bundle["services"]) == set(s.services)
    for name, export in bundle["services"].items():
        assert any(export["records"].values()), f"{name} contributed nothing for the household"
    text = json.dumps(bundle, ensure_ascii=False)
    assert "Aylin und Murat Demir" in text and world["contract"]["contract_no"] in text
    others = [h for key, h in world["households"].items() if key != "couple"]
    assert not any(h["id"] in text or h["name"] in text for h in others), "the export holds another household"
    summary = (tmp_path / "auskunft.txt").read_text()
    assert "Auskunft nach Art. 15 DSGVO" in summary and "Aylin und Murat Demir" in summary


@step
def test_8_erasure_reaches_every_service_and_keeps_the_money(world):
    s, household = world.system, world["households"]["couple"]
    dpo = s.token("dpo", sub="e2e-dpo")
    before = _scan(world)
    for trace, name in (("Demir", "matching"), ("telefonisch nicht erreichbar", "contracts"), ("Demir", "support"),
                        ("Demir", "notifications")):
        assert trace in before[name], f"the scan cannot see {trace!r} in {name}: it would prove nothing"
    world.call("POST", "matching", f"/households/{household['id']}/erasure", dpo, expect=202,
               json={"reason": "request"})
    world.poll("matching", f"/households/{household['id']}/erasure", dpo,
               lambda r: {a["service"]: a["status"] for a in r["services"]} == {n: "erased" for n in s.services},
               "not every service erased the household")
    after = wait_until(lambda: (found := _scan(world)) and not any(
        trace in text for text in found.values() for trace in COUPLE_TRACES) and found,
        timeout=TIMEOUT, interval=0.5, message="a service still holds the household's data")
    assert household["id"] in after["contracts"], "the contract stays, under the pseudonymous household id"
    others = [h["name"] for key, h in world["households"].items() if key != "couple"]
    assert all(name in after["matching"] for name in others), "other households are untouched"
    contract = world.get("contracts", f"/contracts/{world['contract']['id']}", world["staff"])
    assert contract["contract_no"] == world["contract"]["contract_no"]
    claim = world.get("contracts", f"/claims/{world['claim']['id']}", world["finance"])
    assert claim["approved_cents"] == 59_000 and claim["status"] == "paid"


@step
def test_9_no_log_line_carries_a_households_data(world):
    logs = "\n".join(p.read_text(errors="replace") for p in world.system.workdir.glob("*.log"))
    assert "http.request" in logs, "the processes logged at INFO"
    people = [h["name"] for h in world["households"].values()] + [
        h["email"] for h in world["households"].values() if h.get("email")]
    for trace in (*people, *COUPLE_TRACES, "Hausgemeinschaft mit vielen Senioren"):
        assert trace not in logs, f"a log line carries {trace!r}"
