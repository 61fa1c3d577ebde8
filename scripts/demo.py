"""`make demo`: the whole WohnenPlus story against the services `make run` started, as a report.

    .venv/bin/python scripts/demo.py [--no-time-travel]

Creates realistic Stuttgart data (flats in the city's districts with cold rents just under the
social office's limits, a mix of referred households), then runs the story of issue 8 through the
HTTP APIs with development tokens: matching run, answers, lease, guarantee contract, signatures,
support case with its fixed contact person, messages, an incident and a rent-arrears claim, and —
unless `--no-time-travel` — the end of the five years. Every run uses new referral numbers and
flats and reuses the companies and caseworkers it registered before, so running it again works.

Time travel: for a few seconds a second contracts worker runs beside the one `make run` started,
with `WOHNENPLUS_CLOCK_OFFSET_DAYS` set; its end-of-term job runs at start, so it sends the 90- and
30-day notices and then expires the contract. (It sees every active contract of the local database:
older demo contracts expire with it.)

Ports: 8001-8004 (override with DEMO_<SERVICE>_URL, e.g. DEMO_MATCHING_URL=http://127.0.0.1:8001).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import requests

from servicekit.auth import mint_token
from servicekit.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
BERLIN = ZoneInfo("Europe/Berlin")
PORTS = {"matching": 8001, "contracts": 8002, "support": 8003, "notifications": 8004}
CONFIG = ROOT / "services" / "matching" / "matching" / "config"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

COMPANY_A = {"name": "Neckar Wohnbau eG (Demo)", "email": "vermietung@neckar-wohnbau.example",
             "street": "Königstraße 20", "postal_code": "70173", "city": "Stuttgart", "quota_flats_per_year": 24}
COMPANY_B = {"name": "Filder Wohnen GmbH (Demo)", "email": "kontakt@filder-wohnen.example",
             "street": "Epplestraße 5", "postal_code": "70597", "city": "Stuttgart", "quota_flats_per_year": 8}
CASEWORKERS = [
    {"name": "Petra Schäfer", "email": "petra.schaefer@demo.stuttgart.example", "phone": "0711 216-80101",
     "districts": []},
    {"name": "Markus Yilmaz", "email": "markus.yilmaz@demo.stuttgart.example", "phone": "0711 216-80102",
     "districts": []},
]
# (district, postal code, street, rooms, m², floor, lift, barrier-free, persons the flat is meant for, % of limit)
FLATS = [
    ("Bad Cannstatt", "70372", "Wilhelmstraße 12", 2, 55, 2, True, False, 2, 0.96),
    ("Zuffenhausen", "70435", "Unterländer Straße 80", 3.5, 82, 0, False, True, 4, 0.97),
    ("Vaihingen", "70563", "Hauptstraße 30", 1, 34, 3, False, False, 1, 0.88),
    ("Feuerbach", "70469", "Stuttgarter Straße 101", 3, 68, 1, True, False, 3, 0.95),
    ("Möhringen", "70567", "Filderbahnstraße 9", 2.5, 58, 0, False, True, 2, 0.93),
    ("Ost", "70190", "Neckarstraße 140", 4, 92, 4, True, False, 5, 0.98),
]
HOUSEHOLDS = [  # name, adults, children, urgency, email, needs, preferred districts
    ("Aylin und Murat Demir", 2, 0, "emergency_accommodation", "demir@haushalt.example", {}, ["Bad Cannstatt"]),
    ("Familie Nowak", 2, 2, "threatened_homelessness", "nowak@haushalt.example",
     {"needs_ground_floor_or_lift": True}, ["Zuffenhausen"]),
    ("Jonas Weber", 1, 0, "inadequate_housing", "weber@haushalt.example", {}, []),
    ("Sabine Roth", 1, 1, "threatened_homelessness", None, {"needs_wheelchair": True, "needs_barrier_free": True}, []),
    ("Familie Haddad", 3, 2, "emergency_accommodation", "haddad@haushalt.example", {}, ["Ost", "Bad Cannstatt"]),
    ("Elena Popescu", 1, 2, "emergency_accommodation", None, {}, ["Feuerbach"]),
    ("Herr Krüger", 1, 0, "threatened_homelessness", None, {"needs_ground_floor_or_lift": True}, ["Möhringen"]),
]
URGENCY_DE = {"emergency_accommodation": "Notunterkunft", "threatened_homelessness": "drohende Wohnungslosigkeit",
              "inadequate_housing": "unzureichend untergebracht"}


# --------------------------------------------------------------------------- terminal output

BOLD, DIM, GREEN, RED, RESET = ("\033[1m", "\033[2m", "\033[32m", "\033[31m", "\033[0m") if sys.stdout.isatty() \
    else ("", "", "", "", "")


def heading(number: str, german: str, english: str) -> None:
    print(f"\n{BOLD}{number}  {german}{RESET}  {DIM}/ {english}{RESET}")
    print("─" * 100)


def ok(text: str) -> None:
    print(f"  {GREEN}✔{RESET} {text}")


def note(text: str) -> None:
    print(f"  {DIM}·{RESET} {text}")


def table(headers: list[str], rows: list[list]) -> None:
    cells = [[str(c) for c in headers]] + [["" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) if i == len(headers) - 1 else min(max(len(r[i]) for r in cells), 60)
              for i in range(len(headers))]

    def line(row):
        return "  " + "  ".join(c[:w].ljust(w) for c, w in zip(row, widths)).rstrip()

    print(BOLD + line(cells[0]) + RESET)
    print("  " + "  ".join("-" * w for w in widths))
    for row in cells[1:]:
        print(line(row))


def euro(cents: int | None) -> str:
    if cents is None:
        return "–"
    return f"{cents / 100:,.2f} €".replace(",", "X").replace(".", ",").replace("X", ".")


def local(ts: str) -> str:
    return datetime.fromisoformat(ts).astimezone(BERLIN).strftime("%a %d.%m.%Y %H:%M")


# --------------------------------------------------------------------------- HTTP


def web_port(service: str, default: int) -> int:
    """The port `make run` gives the service in this shell's environment (<SERVICE>_WEB_PORT)."""
    return Settings.from_env(service, default, 0).web_port


def demo_dir() -> Path:
    """Where the demo leaves the contract PDF and the time-travel worker's log: the system's var dir."""
    return Settings.from_env("demo", 0, 0).var_dir / "demo"


class Demo:
    def __init__(self) -> None:
        self.urls = {s: os.environ.get(f"DEMO_{s.upper()}_URL", f"http://127.0.0.1:{web_port(s, p)}")
                     for s, p in PORTS.items()}
        self.settings = Settings.from_env("demo", 0, 0)
        self.http = requests.Session()
        self.tokens: dict[str, dict] = {}
        self.hidden: list[tuple[str, str]] = []
        self.run = datetime.now(BERLIN).strftime("%y%m%d-%H%M%S")

    def token(self, *roles: str, sub: str | None = None, company_id: str | None = None) -> dict:
        token = mint_token(self.settings, sub=sub or f"demo-{roles[0]}", roles=list(roles), company_id=company_id)
        return {"Authorization": f"Bearer {token}"}

    def call(self, method: str, service: str, path: str, who: dict, expect=(200, 201), **kwargs) -> requests.Response:
        response = self.http.request(method, f"{self.urls[service]}/api/v1{path}", headers=who, timeout=30, **kwargs)
        if expect and response.status_code not in expect:
            raise SystemExit(f"{RED}✘ {method} {service}{path} answered {response.status_code}: "
                             f"{response.text[:400]}{RESET}")
        return response

    def get(self, service, path, who, **kwargs):
        return self.call("GET", service, path, who, **kwargs).json()

    def post(self, service, path, who, body=None, **kwargs):
        return self.call("POST", service, path, who, json=body or {}, **kwargs).json()

    def all(self, service, path, who) -> list:
        items, page = [], 1
        while True:
            sep = "&" if "?" in path else "?"
            batch = self.get(service, f"{path}{sep}page={page}&page_size=100", who)
            items += batch
            if len(batch) < 100:
                return items
            page += 1

    def wait(self, what: str, probe, timeout: float = 60.0):
        deadline = time.monotonic() + timeout
        while True:
            value = probe()
            if value:
                return value
            if time.monotonic() > deadline:
                raise SystemExit(f"{RED}✘ waited {timeout:.0f} s: {what}{RESET}")
            time.sleep(0.3)

    def own(self, service: str, path: str) -> None:
        self.hidden.append((service, path))


# --------------------------------------------------------------------------- the story


def check_running(demo: Demo) -> None:
    missing = []
    for service, url in demo.urls.items():
        try:
            if requests.get(f"{url}/readyz", timeout=3).status_code != 200:
                missing.append(service)
        except requests.RequestException:
            missing.append(service)
    if missing:
        raise SystemExit(f"{RED}✘ not ready: {', '.join(missing)} — start the services with `make run` first.{RESET}")


def register_company(demo: Demo, body: dict) -> dict:
    admin = demo.tokens["admin"]
    response = demo.call("POST", "contracts", "/companies", admin, json=body, expect=(201, 409))
    if response.status_code == 201:
        return response.json() | {"new": True}
    return next(c for c in demo.all("contracts", "/companies", admin) if c["name"] == body["name"]) | {"new": False}


def wait_registered(demo: Demo, token: dict, company_id: str, timeout: float = 60) -> None:
    """Matching knows a company once contracts' `contracts.company.registered` reached it; before
    that it refuses the company's flats (422)."""
    deadline = time.monotonic() + timeout
    while demo.call("GET", "matching", f"/companies/{company_id}", token, expect=(200, 404)).status_code != 200:
        if time.monotonic() > deadline:
            raise SystemExit(f"{RED}✘ matching never learned of company {company_id[:8]}… — is its worker running?{RESET}")
        time.sleep(0.2)


def register_caseworker(demo: Demo, body: dict) -> dict:
    admin = demo.tokens["admin"]
    response = demo.call("POST", "support", "/caseworkers", admin, json={**body, "max_cases": 40}, expect=(201, 409))
    if response.status_code == 201:
        return response.json() | {"new": True}
    return next(c for c in demo.all("support", "/caseworkers", admin) if c["email"] == body["email"]) | {"new": False}


def rent_limits() -> dict[int, int]:
    data = json.loads((CONFIG / "rent_limits.json").read_text())
    return {row["persons"]: row["max_cold_rent_cents"] for row in data["by_household_size"]}


def step_setup(demo: Demo) -> dict:
    heading("1", "Unternehmen, Fachkräfte, Wohnungen, Haushalte", "companies, caseworkers, flats, referrals")
    a, b = register_company(demo, COMPANY_A), register_company(demo, COMPANY_B)
    for company in (a, b):
        ok(f"{company['name']}: {'registriert' if company['new'] else 'bereits registriert'} (id {company['id'][:8]}…)")
    demo.tokens["a"] = demo.token("company", company_id=a["id"], sub="demo-company-a")
    demo.tokens["b"] = demo.token("company", company_id=b["id"], sub="demo-company-b")
    demo.own("contracts", f"/companies/{a['id']}")
    for key in ("a", "b"):  # matching learns the companies from contracts' event a moment later
        wait_registered(demo, demo.tokens[key], (a if key == "a" else b)["id"])

    caseworkers = [register_caseworker(demo, body) for body in CASEWORKERS]
    loads = {c["id"]: c.get("active_cases", 0) for c in demo.all("support", "/caseworkers", demo.tokens["staff"])}
    table(["Fachkraft / caseworker", "E-Mail", "offene Fälle / open cases", ""],
          [[c["name"], c["email"], loads.get(c["id"], 0), "neu" if c["new"] else "vorhanden"] for c in caseworkers])

    limits = rent_limits()
    today = datetime.now(BERLIN).date()
    flats = []
    for district, plz, street, rooms, area, floor, lift, barrier_free, persons, share in FLATS:
        cold = int(limits[persons] * share) // 100 * 100
        flats.append(demo.post("matching", "/flats", demo.tokens["a"], {
            "unit_ref": f"{district[:2].upper()}-{demo.run}", "street": street, "postal_code": plz, "district": district,
            "rooms": rooms, "area_m2": area, "floor": floor, "lift": lift, "barrier_free": barrier_free,
            "cold_rent_cents": cold, "service_charges_cents": int(area * 290), "heating_cents": int(area * 140),
            "available_from": (today + timedelta(days=len(flats) * 3)).isoformat()}) | {"limit_persons": persons})
    for flat in flats:
        demo.own("matching", f"/flats/{flat['id']}")
    print()
    table(["Bezirk / district", "Adresse", "Zi.", "m²", "Kaltmiete", "Grenze (Pers.)", "NK", "frei ab"],
          [[f["district"], f["street"], f["rooms"], f["area_m2"], euro(f["cold_rent_cents"]),
            f"{euro(limits[f['limit_persons']])} ({f['limit_persons']})", euro(f["service_charges_cents"]),
            f["available_from"]] for f in flats])
    note("Kaltmiete knapp unter der Mietobergrenze des Sozialamts (services/matching/matching/config/rent_limits.json)")

    households = []
    for i, (name, adults, children, urgency, email, needs, preferred) in enumerate(HOUSEHOLDS, start=1):
        households.append(demo.post("matching", "/households", demo.tokens["staff"], {
            "referral_no": f"AS-{demo.run}-{i:02d}", "name": name, "adults": adults, "children": children,
            "urgency": urgency, "email": email, "preferred_districts": preferred, **needs}))
    print()
    table(["Aktenzeichen", "Haushalt", "Pers.", "Dringlichkeit / urgency", "Bedarf / needs", "Mietgrenze"],
          [[h["referral_no"], h["name"], h["size"], URGENCY_DE[h["urgency"]],
            ", ".join(k.removeprefix("needs_") for k in ("needs_wheelchair", "needs_barrier_free",
                                                        "needs_ground_floor_or_lift") if h[k]) or "–",
            euro(h["rent_limit_cents"])] for h in households])
    return {"a": a, "b": b, "caseworkers": caseworkers, "flats": flats, "households": households}


def step_matching(demo: Demo, world: dict) -> dict:
    heading("2", "Vermittlungslauf, Antworten, Mietvertrag", "matching run, answers, signed lease")
    staff, company = demo.tokens["staff"], demo.tokens["a"]
    queued = demo.call("POST", "matching", "/matching-runs", staff, expect=(202,), json={}).json()
    # the worker runs it; the request only queued it (one run at a time)
    run = demo.wait("matching run finished", lambda: (r := demo.get("matching", f"/matching-runs/{queued['id']}", staff))
                    ["status"] != "pending" and r)
    ok(f"Lauf / run: {run['households_considered']} Haushalte × {run['flats_considered']} Wohnungen, "
       f"{run['eligible_pairs']} zulässige Paare, {run['proposals_created']} Vorschläge, "
       f"optimal nachgewiesen: {'ja' if run['certified_optimal'] else 'nein'} ({run['duration_ms']} ms)")
    ours = {f["id"]: f for f in world["flats"]}
    names = {h["id"]: h for h in world["households"]}
    proposals = [p for p in demo.all("matching", "/proposals?status=open", staff) if p["flat_id"] in ours]
    def points(p: dict, name: str) -> str:
        component = next((c for c in p["score_breakdown"].get("components", []) if c["name"] == name), None)
        return f"{component['points']:.1f}" if component else "–"

    table(["Wohnung", "Haushalt", "Punkte", "Dringl.", "Wartezeit", "Bezirk", "Passung", "Antwort bis"],
          [[ours[p["flat_id"]]["district"], p["household"].get("referral_no", "?"), f"{p['score']:.1f}",
            *(points(p, k) for k in ("urgency", "waiting_time", "district_preference", "fit")), p["respond_by"]]
           for p in proposals])
    for p in proposals:
        demo.own("matching", f"/proposals/{p['id']}")
    if len(proposals) < 2:
        raise SystemExit(f"{RED}✘ the run made fewer than two proposals for this run's flats{RESET}")
    company_view = demo.get("matching", f"/proposals/{proposals[0]['id']}", company)
    note(f"Sicht des Unternehmens vor der Zusage (pseudonym): {json.dumps(company_view['household'], ensure_ascii=False)}")

    chosen = next((p for p in proposals if p["household_id"] in names and names[p["household_id"]]["email"]),
                  proposals[0])
    other = next(p for p in proposals if p["id"] != chosen["id"])
    demo.post("matching", f"/proposals/{other['id']}/decline", company, {
        "reason": "household_does_not_fit_house", "text": "Hausgemeinschaft mit vielen Senioren, sehr hellhörig."})
    ok(f"Absage des Unternehmens / company declines {ours[other['flat_id']]['district']}: "
       "„Haushalt passt nicht in die Hausgemeinschaft“ — die Wohnung geht zurück ins Angebot")
    accepted = demo.post("matching", f"/proposals/{chosen['id']}/accept", company)
    ok(f"Zusage des Unternehmens / company accepts {ours[chosen['flat_id']]['district']}; "
       f"jetzt sichtbar: {accepted['household'].get('name')}")
    demo.post("matching", f"/proposals/{chosen['id']}/accept", staff, {"party": "household"})
    ok("Zusage des Haushalts, erfasst vom Sozialamt / household's acceptance recorded by staff")
    flat = ours[chosen["flat_id"]]
    lease_start = datetime.now(BERLIN).date()
    demo.post("matching", f"/proposals/{chosen['id']}/lease", company, {
        "lease_start": lease_start.isoformat(), "unlimited": True, "cold_rent_cents": flat["cold_rent_cents"],
        "service_charges_cents": flat["service_charges_cents"], "heating_cents": flat["heating_cents"]})
    ok(f"Mietvertrag unbefristet unterschrieben, Mietbeginn {lease_start:%d.%m.%Y} → matching.tenancy.agreed")
    household = demo.get("matching", f"/households/{chosen['household_id']}", staff)
    return {"proposal": chosen, "flat": flat, "household": household, "lease_start": lease_start}


def step_contract_and_case(demo: Demo, world: dict) -> dict:
    heading("3", "Garantievertrag, Ansprechperson, Termine, Nachrichten",
            "guarantee contract, contact person, appointments, messages")
    staff, company = demo.tokens["staff"], demo.tokens["a"]
    household = world["household"]
    contract = demo.wait("guarantee contract", lambda: next(iter(demo.get(
        "contracts", f"/contracts?household_reference={household['referral_no']}", company)), None))
    cid = contract["id"]
    for path in (f"/contracts/{cid}", f"/contracts/{cid}/document", f"/contracts/{cid}/history"):
        demo.own("contracts", path)
    ok(f"Entwurf / draft {contract['contract_no']}: Laufzeit {contract['term_start']} – {contract['term_end']} "
       f"(5 Jahre), gedeckte Monatsmiete {euro(contract['monthly_covered_rent_cents'])}")
    demo.post("contracts", f"/contracts/{cid}/sign", company, {"party": "company"})
    contract = demo.post("contracts", f"/contracts/{cid}/sign", staff, {"party": "city"})
    ok(f"unterschrieben von Unternehmen und Stadt → Zustand / state: {contract['state']}")
    table(["Deckung / cap", "Arten / kinds", "Höchstbetrag", "verfügbar"],
          [[c["name"], ", ".join(c["kinds"]), euro(c["cap_cents"]), euro(c["remaining_cents"])]
           for c in contract["coverage"]])
    pdf = demo.call("GET", "contracts", f"/contracts/{cid}/document", company)
    target = demo_dir() / f"{contract['contract_no']}.pdf"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(pdf.content)
    ok(f"PDF ({len(pdf.content) // 1024} KB) gespeichert: {target}")

    case = demo.wait("support case", lambda: next((c for c in demo.get("support", "/cases", staff)
                                                   if c["household_id"] == household["id"]), None))
    demo.own("support", f"/cases/{case['id']}")
    person = case["contact_person"]
    ok(f"Fall / case {case['reference'] or case['id'][:8]} eröffnet; feste Ansprechperson: "
       f"{person['name']} ({person['email']}, {person.get('phone') or '–'})")
    appointments = demo.wait("first appointments", lambda: demo.get("support", f"/cases/{case['id']}/appointments", staff))
    people = {c["id"]: c["name"] for c in world["caseworkers"]}
    table(["Termin / appointment", "Art / kind", "Fachkraft", "Status"],
          [[local(a["starts_at"]), a["kind"], people.get(a["caseworker_id"], a["caseworker_id"][:8]), a["status"]]
           for a in appointments[:8]])
    note("nur Werktage in Baden-Württemberg, innerhalb der Bürozeiten (services/support/support/config/)")

    inbox = demo.wait("company inbox", lambda: (items := demo.get("notifications", "/inbox?page_size=100", company))
                      and any(i["event_type"] == "support.case.opened" for i in items) and items)
    print()
    table(["Posteingang des Unternehmens / company inbox", "Ereignis / event"],
          [[i["subject"], i["event_type"]] for i in inbox[:8]])
    return {"contract": contract, "case": case}


def step_trouble(demo: Demo, world: dict) -> dict:
    heading("4", "Meldung, Krisentermin, Forderung, Auszahlung", "incident, crisis appointment, claim, payout")
    staff, company, finance = demo.tokens["staff"], demo.tokens["a"], demo.tokens["finance"]
    cid, case = world["contract"]["id"], world["case"]
    incident = demo.post("contracts", f"/contracts/{cid}/incidents", company, {
        "kind": "payment_delay", "severity": "high",
        "description": "Miete für diesen Monat nicht eingegangen, Mieter telefonisch nicht erreichbar."})
    demo.own("contracts", f"/incidents/{incident['id']}")
    ok("Unternehmen meldet Zahlungsverzug (hoch) / company reports a payment delay")
    crisis = demo.wait("crisis appointment", lambda: next((c for c in demo.get("support", f"/cases/{case['id']}/crises", staff)
                                                            if c["appointment_id"]), None))
    appointment = demo.get("support", f"/appointments/{crisis['appointment_id']}", staff)
    ok(f"Krisentermin / crisis appointment {local(appointment['starts_at'])} — Frist / deadline {local(crisis['deadline'])}"
       f"{' (Vertretung)' if crisis['substitute'] else ''}")

    flat, month = world["flat"], world["lease_start"].strftime("%Y-%m")
    arrears = flat["cold_rent_cents"] + flat["service_charges_cents"]
    evidence = {"kind": "rent_ledger", "filename": "mietkonto.pdf", "content_type": "application/pdf",
                "content_base64": base64.b64encode(PDF).decode()}
    claim = demo.post("contracts", f"/contracts/{cid}/claims", company, {
        "kind": "rent_arrears", "amount_cents": arrears, "period": {"first": month, "last": month},
        "description": "Mietrückstand Kaltmiete und Nebenkosten.", "evidence": [evidence]})
    demo.own("contracts", f"/claims/{claim['id']}")
    ok(f"Forderung Mietschulden / rent-arrears claim {month}: {euro(arrears)}")
    approved = flat["cold_rent_cents"]
    decided = demo.post("contracts", f"/claims/{claim['id']}/decision", finance, {
        "decision": "approve", "approved_cents": approved, "reason": "Nebenkosten-Vorauszahlung bereits erstattet."})
    ok(f"Finanzen / finance: {decided['status']} {euro(decided['approved_cents'])} (Begründung: {decided['decision_reason']})")
    paid = demo.post("contracts", f"/claims/{claim['id']}/payout", finance, {"reference": f"ZA-{demo.run}"})
    ok(f"Auszahlung erfasst / payout recorded: {paid['payout_reference']}")
    refused = demo.call("POST", "contracts", f"/contracts/{cid}/claims", company, expect=(422,), json={
        "kind": "damage_repairs", "amount_cents": 1_000_001, "description": "Wasserschaden Bad.",
        "evidence": [{**evidence, "kind": "invoice", "filename": "rechnung.pdf"}]}).json()
    ok(f"Forderung über der Deckung abgelehnt / over the cap refused: 422 {refused.get('code')}")
    demo.wait("company notified of the payout", lambda: any(
        i["event_type"] == "contracts.claim.paid" for i in demo.get("notifications", "/inbox?page_size=50", company)))
    ok("Unternehmen benachrichtigt / company notified (contracts.claim.decided, contracts.claim.paid)")
    return {"claim": claim}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def time_travel_mismatch(contract_id: str) -> str | None:
    """Why a contracts worker started from this shell would not be part of the running system, or
    None. It must see the same database (where the contract this demo just made is) and the same
    broker prefix (where the running worker consumes) — else it would wait for nothing."""
    from sqlalchemy import select

    from contracts.models import Contract
    from servicekit.bus.connection import connect
    from servicekit.db.database import Database
    from servicekit.service import load

    svc = load("contracts")
    settings = Settings.from_env(svc.name, svc.web_port, svc.worker_metrics_port)
    where = settings.database_url.split("@")[-1]
    advice = ("export the same CONTRACTS_DATABASE_URL (or none) as in the shell that runs `make run`")
    db = Database(settings.database_url)
    try:
        with db.session() as session:
            if session.scalar(select(Contract.id).where(Contract.id == contract_id)) is None:
                return f"this shell's contracts database ({where}) is not the one the running service uses; {advice}"
    except Exception as exc:
        return f"this shell's contracts database ({where}) cannot be read ({type(exc).__name__}); {advice}"
    finally:
        db.dispose()
    try:
        connection = connect(settings.bus_url, "demo-time-travel-check", timeout=3)
        try:
            consumers = connection.channel().queue_declare(settings.queue, passive=True).method.consumer_count
        finally:
            connection.close()
    except Exception:
        consumers = 0
    if not consumers:
        return (f"no contracts worker consumes {settings.queue!r} on this shell's broker; export the same BUS_URL and "
                "BUS_PREFIX (or none) as in the shell that runs `make run`")
    return None


def travelling_worker(days: int, until, what: str) -> None:
    """A contracts worker whose clock runs `days` ahead, until `until()` holds."""
    env = {**os.environ, "WOHNENPLUS_CLOCK_OFFSET_DAYS": str(days), "CONTRACTS_WORKER_METRICS_PORT": str(free_port()),
           "LOG_LEVEL": "INFO"}
    log_path = demo_dir() / "time-travel-worker.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = open(log_path, "ab")
    process = subprocess.Popen([str(BIN / "wohnenplus"), "worker", "contracts"], env=env, cwd=ROOT, stdout=log,
                               stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while not until():
            if time.monotonic() > deadline or process.poll() is not None:
                ended = f" (the worker exited with {process.returncode})" if process.poll() is not None else ""
                raise SystemExit(f"{RED}✘ time travel: {what} did not happen{ended}; "
                                 f"see {log_path}{RESET}")
            time.sleep(0.5)
    finally:
        process.terminate()
        process.wait(20)


def step_time_travel(demo: Demo, world: dict) -> None:
    heading("5", "Die Zeit vergeht: Fristen, Ablauf, Abschluss", "time moves on: notices, expiry, case closed")
    staff, company = demo.tokens["staff"], demo.tokens["a"]
    contract, case = world["contract"], world["case"]
    cid = contract["id"]
    demo.post("support", f"/cases/{case['id']}/outcome", staff, {"outcome": "living_independently"})
    ok("Ansprechperson hält das erwartete Ergebnis fest / outcome recorded: living_independently")
    to_end = (date.fromisoformat(contract["term_end"]) - datetime.now(BERLIN).date()).days
    mismatch = time_travel_mismatch(cid)
    if mismatch:
        raise SystemExit(f"{RED}✘ time travel cannot start: {mismatch} (or run with --no-time-travel){RESET}")
    for days_left, notice in ((60, 90), (20, 30)):
        travelling_worker(to_end - days_left, lambda n=notice: n in demo.get(
            "contracts", f"/contracts/{cid}", company)["expiry_notices_sent"], f"the {notice}-day notice")
        ok(f"Uhr +{to_end - days_left} Tage ({days_left} Tage vor Ende): Hinweis „endet in {notice} Tagen“ verschickt")
    travelling_worker(to_end + 2, lambda: demo.get("contracts", f"/contracts/{cid}", company)["state"] == "expired",
                      "the expiry")
    ok(f"Uhr +{to_end + 2} Tage: Garantievertrag {contract['contract_no']} ist ausgelaufen / expired")
    closed = demo.wait("case closed", lambda: (c := demo.get("support", f"/cases/{case['id']}", staff))["status"] == "closed" and c)
    ok(f"Fall geschlossen / case closed: {closed['outcome']}")
    demo.wait("expiry notice in the company inbox", lambda: any(
        i["event_type"] == "contracts.contract.expired" for i in demo.get("notifications", "/inbox?page_size=50", company)))
    ok("Unternehmen und Ansprechperson benachrichtigt / company and contact person notified")


def step_isolation(demo: Demo, world: dict) -> None:
    heading("6", "Mandantentrennung", "a second company sees nothing of the first")
    other = demo.tokens["b"]
    for service, path in demo.hidden:
        status = demo.call("GET", service, path, other, expect=None).status_code
        if status != 404:
            raise SystemExit(f"{RED}✘ {COMPANY_B['name']} read {service}{path}: {status}{RESET}")
    ok(f"{COMPANY_B['name']}: {len(demo.hidden)} Objekte von {COMPANY_A['name']} → jedes Mal 404")


def step_messages(demo: Demo, world: dict) -> None:
    heading("7", "Nachrichten dieser Geschichte", "messages of this story (staff view, with delivery state)")
    staff = demo.tokens["staff"]
    refs = {f"company:{world['a']['id']}", f"household:{world['household']['id']}",
            *(f"caseworker:{c['id']}" for c in world["caseworkers"])}
    notes = [n for n in demo.all("notifications", "/notifications", staff)
             if n["recipient"] in refs and datetime.fromisoformat(n["created_at"]) >= world["started_at"]]
    labels = {f"company:{world['a']['id']}": "Unternehmen", f"household:{world['household']['id']}": "Haushalt",
              **{f"caseworker:{c['id']}": c["name"] for c in world["caseworkers"]}}
    grouped: dict[tuple[str, str], list[str]] = {}
    for n in sorted(notes, key=lambda n: (n["created_at"], n["channel"])):
        grouped.setdefault((labels[n["recipient"]], n["subject"]), []).append(f"{n['channel']}: {n['state']}")
    rows = [[who, ", ".join(f"{c} ×{n}" if n > 1 else c for c, n in Counter(channels).items()), subject]
            for (who, subject), channels in grouped.items()]
    table(["Empfänger / recipient", "Kanal: Zustand / channel: state", "Betreff / subject"], rows[:30])
    if len(rows) > 30:
        note(f"… und {len(rows) - 30} weitere / and {len(rows) - 30} more")
    pending = sum(n["state"] != "delivered" for n in notes if n["channel"] == "email")
    if pending:
        note(f"{pending} E-Mails nicht zugestellt: `make run` sendet an SMTP_HOST:SMTP_PORT (Standard localhost:25); "
             "ohne Mailserver bleiben sie pending/failed — mit `docker compose up` landen sie in Mailpit")


def where_to_look(demo: Demo, world: dict) -> None:
    heading("→", "Wo nachsehen", "where to look")
    table(["was / what", "wo / where"], [
        *[[f"API-Doku {s}", f"{u}/docs"] for s, u in demo.urls.items()],
        ["Posteingang Unternehmen", f"GET {demo.urls['notifications']}/api/v1/inbox mit Token "
                                    f"`make -s token ROLE=company COMPANY={world['a']['id']}`"],
        ["alle Nachrichten", f"{demo.urls['notifications']}/api/v1/notifications (staff)"],
        ["Kennzahlen / metrics", "http://127.0.0.1:9001/metrics … :9004/metrics (worker), :8001/metrics … (web)"],
        ["Krisenliste", f"{demo.urls['support']}/api/v1/crises?status=breached (staff)"],
        ["Vertrag als PDF", "var/demo/*.pdf"],
    ])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-time-travel", action="store_true", help="skip the end of the five years")
    args = parser.parse_args()
    demo = Demo()
    check_running(demo)
    demo.tokens.update(staff=demo.token("staff"), admin=demo.token("admin"), finance=demo.token("finance"))
    print(f"{BOLD}WohnenPlus Stuttgart — die ganze Geschichte / the whole story{RESET}  {DIM}(Lauf {demo.run}){RESET}")
    started = time.monotonic()
    world = {"started_at": datetime.now().astimezone() - timedelta(seconds=5)}
    world |= step_setup(demo)
    world |= step_matching(demo, world)
    world |= step_contract_and_case(demo, world)
    world |= step_trouble(demo, world)
    if args.no_time_travel:
        note("Zeitreise übersprungen (--no-time-travel)")
    else:
        step_time_travel(demo, world)
    step_isolation(demo, world)
    step_messages(demo, world)
    where_to_look(demo, world)
    print(f"\n{GREEN}{BOLD}Fertig / done{RESET} in {time.monotonic() - started:.0f} s — `make demo` again works "
          "(new referrals and flats; companies and caseworkers are reused).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
