"""Fixtures of the security tests: two companies with a full set of real objects each (made through
the HTTP APIs of the running system), the four OpenAPI documents as the processes serve them, and
extra web processes of the same system with other limits.

Everything here drives the system of `tests/conftest.py` (all eight processes, real PostgreSQL and
RabbitMQ); nothing is mocked.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
import requests

from servicekit.testing import wait_until
from servicekit.workdays import next_working_day
from system import System, free_port

SERVICES = ("matching", "contracts", "support", "notifications")
ROLES = ("staff", "caseworker", "finance", "admin", "company", "dpo")
TIMEOUT = 45  # seconds an event chain may take on a loaded 2-core machine
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


class Api:
    """HTTP calls to the running services, failing loudly with the answer when it is not expected."""

    def __init__(self, urls: dict[str, str]) -> None:
        self.urls = urls
        self.http = requests.Session()

    def call(self, method: str, service: str, path: str, headers: dict | None = None, *, expect: int | None = None,
             **kwargs) -> requests.Response:
        url = path if path.startswith("http") else f"{self.urls[service]}{path}"
        response = self.http.request(method, url, headers=headers, timeout=30, **kwargs)
        if expect is not None:
            assert response.status_code == expect, f"{method} {service}{path}: {response.status_code} {response.text[:400]}"
        return response

    def post(self, service: str, path: str, headers: dict, body: dict | None = None, expect: int = 200) -> dict:
        return self.call("POST", service, f"/api/v1{path}", headers, json=body or {}, expect=expect).json()

    def get(self, service: str, path: str, headers: dict, expect: int = 200):
        return self.call("GET", service, f"/api/v1{path}", headers, expect=expect).json()

    def poll(self, service: str, path: str, headers: dict, predicate, message: str):
        def attempt():
            response = self.call("GET", service, f"/api/v1{path}", headers)
            return predicate(response.json()) if response.status_code == 200 else None

        return wait_until(attempt, timeout=TIMEOUT, interval=0.3, message=message)


@dataclass
class Company:
    """One housing company and the objects it owns in the four services."""

    key: str
    id: str
    token: dict
    flat: dict = field(default_factory=dict)  # leased
    open_flat: dict = field(default_factory=dict)  # proposed, not yet answered
    household: dict = field(default_factory=dict)  # housed with this company
    open_household: dict = field(default_factory=dict)  # proposed to this company, not accepted
    proposal: dict = field(default_factory=dict)  # leased
    open_proposal: dict = field(default_factory=dict)
    contract: dict = field(default_factory=dict)
    claim: dict = field(default_factory=dict)
    incident: dict = field(default_factory=dict)
    case: dict = field(default_factory=dict)
    appointment: dict = field(default_factory=dict)
    notification: dict = field(default_factory=dict)

    def object_ids(self) -> set[str]:
        """Every id that belongs to this company alone: no other company may ever see one of them."""
        ids = {self.id}
        for obj in (self.flat, self.open_flat, self.household, self.open_household, self.proposal,
                    self.open_proposal, self.contract, self.claim, self.incident, self.case, self.appointment,
                    self.notification):
            ids.add(obj["id"])
        ids.update(d["id"] for d in self.claim.get("documents", []))
        return ids


@dataclass
class World:
    system: System
    api: Api
    a: Company
    b: Company
    caseworker: dict
    absence: dict
    staff_notification: dict

    def token(self, role: str) -> dict:
        if role == "company":
            return self.a.token
        if role == "caseworker":
            return self.system.token("caseworker", sub=self.caseworker["id"])
        return self.system.token(role, sub=f"security-{role}")


@pytest.fixture(scope="session")
def api(system) -> Api:
    return Api({name: system.url(name) for name in SERVICES})


@pytest.fixture(scope="session")
def unlimited_api(system) -> Api:
    """Extra web processes with rates off (the matrices send far more per second than a company may)
    and local webhook URLs allowed (a webhook they register points nowhere but this machine)."""
    yield Api(spawn_webs(system, "unlimited", {"RATELIMIT_ENABLED": "false", "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1"}))
    stop_webs(system, "unlimited")


@pytest.fixture(scope="session")
def specs(api) -> dict[str, dict]:
    """The OpenAPI document each running service serves."""
    return {name: api.call("GET", name, "/openapi.json", expect=200).json() for name in SERVICES}


@pytest.fixture(scope="session")
def world(system, api) -> World:
    admin, staff = system.token("admin", sub="security-admin"), system.token("staff", sub="security-staff")
    run = uuid.uuid4().hex[:6]
    caseworker = api.post("support", "/caseworkers", admin, {
        "name": "Sicherheit Test", "email": f"cw-{run}@stuttgart.example", "max_cases": 25}, expect=201)
    absence_day = next_working_day(date.today() + timedelta(days=200))
    absence = api.post("support", f"/caseworkers/{caseworker['id']}/absences", admin, {
        "first_day": absence_day.isoformat(), "last_day": absence_day.isoformat()}, expect=201)
    companies = {key: _company(system, api, admin, staff, key, run) for key in ("a", "b")}
    for company in companies.values():
        _contract_claim_incident(api, staff, company)
    for company in companies.values():
        _case_and_messages(api, staff, company)
    staff_notification = api.poll("notifications", "/inbox?page_size=100", staff, lambda items: items and items[0],
                                  "staff inbox empty")
    return World(system, api, companies["a"], companies["b"], caseworker, absence, staff_notification)


def _company(system: System, api: Api, admin: dict, staff: dict, key: str, run: str) -> Company:
    company = api.post("contracts", "/companies", admin, {
        "name": f"Sicherheit {key.upper()} {run}", "email": f"vermietung-{key}-{run}@wohnbau.example",
        "street": "Königstraße 1", "postal_code": "70173", "city": "Stuttgart"}, expect=201)
    token = system.token("company", company_id=company["id"], sub=f"security-company-{key}")
    c = Company(key, company["id"], token)
    api.poll("matching", f"/companies/{company['id']}", token, lambda known: known["registered_at"],
             "matching never learned of the company")  # from contracts.company.registered; until then 422
    today = date.today().isoformat()
    flat = {"street": "Hauptstraße 30", "postal_code": "70563", "district": "Vaihingen", "rooms": 2, "area_m2": 55,
            "floor": 1, "lift": True, "cold_rent_cents": 55_000, "service_charges_cents": 15_000,
            "heating_cents": 8_000, "available_from": today}
    c.flat = api.post("matching", "/flats", token, {**flat, "unit_ref": f"{key}-1"}, expect=201)
    c.open_flat = api.post("matching", "/flats", token, {**flat, "unit_ref": f"{key}-2"}, expect=201)
    household = {"adults": 2, "urgency": "threatened_homelessness", "name": f"Familie {key.upper()}-Geheim",
                 "email": f"haushalt-{key}-{run}@haushalt.example", "phone": "0711 000000"}
    c.household = api.post("matching", "/households", staff, {**household, "referral_no": f"SEC-{run}-{key}1"},
                           expect=201)
    c.open_household = api.post("matching", "/households", staff, {
        **household, "referral_no": f"SEC-{run}-{key}2", "name": f"Familie {key.upper()}-Offen",
        "email": f"offen-{key}-{run}@haushalt.example", "phone": "0711 999999"}, expect=201)
    # proposals made by hand for exactly these pairs: a matching run would pair the whole system's waiting
    # households and offered flats, including other tests' ones
    c.proposal = api.post("matching", "/proposals", staff, {"flat_id": c.flat["id"], "household_id": c.household["id"]},
                          expect=201)
    c.open_proposal = api.post("matching", "/proposals", staff, {
        "flat_id": c.open_flat["id"], "household_id": c.open_household["id"]}, expect=201)
    api.post("matching", f"/proposals/{c.proposal['id']}/accept", token)
    api.post("matching", f"/proposals/{c.proposal['id']}/accept", staff, {"party": "household"})
    c.proposal = api.post("matching", f"/proposals/{c.proposal['id']}/lease", token, {
        "lease_start": today, "unlimited": True, "cold_rent_cents": 55_000, "service_charges_cents": 15_000,
        "heating_cents": 8_000})
    return c


def _contract_claim_incident(api: Api, staff: dict, c: Company) -> None:
    [contract] = api.poll("contracts", "/contracts", c.token, lambda items: items, f"no contract for company {c.key}")
    api.post("contracts", f"/contracts/{contract['id']}/sign", c.token, {"party": "company"})
    c.contract = api.post("contracts", f"/contracts/{contract['id']}/sign", staff, {"party": "city"})
    evidence = {"kind": "invoice", "filename": "rechnung.pdf", "content_type": "application/pdf",
                "content_base64": base64.b64encode(PDF).decode()}
    c.claim = api.post("contracts", f"/contracts/{contract['id']}/claims", c.token, {
        "kind": "damage_repairs", "amount_cents": 10_000, "description": "Wasserschaden Bad.",
        "evidence": [evidence]}, expect=201)
    c.incident = api.post("contracts", f"/contracts/{contract['id']}/incidents", c.token, {
        "kind": "neighbour_conflict", "severity": "low", "description": "Lärm im Treppenhaus."}, expect=201)


def _case_and_messages(api: Api, staff: dict, c: Company) -> None:
    c.case = api.poll("support", "/cases?page_size=100", staff,
                      lambda items: next((i for i in items if i["household_id"] == c.household["id"]), None),
                      f"no support case for company {c.key}")
    c.appointment = api.poll("support", f"/cases/{c.case['id']}/appointments", staff, lambda items: items and items[0],
                             f"no appointment for company {c.key}'s case")
    c.notification = api.poll("notifications", "/inbox?page_size=100", c.token, lambda items: items and items[0],
                              f"company {c.key}'s inbox stays empty")


# --------------------------------------------------------------------------- extra web processes


def spawn_webs(system: System, tag: str, env: dict[str, str], services=SERVICES) -> dict[str, str]:
    """Another gunicorn web process per service on the same databases and keys, with `env` on top
    (e.g. other limits). Their own var directory keeps the main processes' metric files alone."""
    var = system.workdir / f"var-{tag}"
    var.mkdir(exist_ok=True)
    base = {**system.env, "WOHNENPLUS_VAR": str(var), "WEB_CONCURRENCY": "1",
            "JWT_PUBLIC_KEY_FILE": str(system.var_dir / "jwt" / "dev-public.pem")}
    keys = system.var_dir / "data-keys"
    if keys.exists() and "DATA_KEYS" not in base:
        base["DATA_KEYS"] = keys.read_text().strip()
    urls = {}
    for name in services:
        port = free_port()
        system.spawn(f"{name}-web-{tag}", "web", name, env={**base, f"{name.upper()}_WEB_PORT": str(port), **env})
        urls[name] = f"http://127.0.0.1:{port}"
    for url in urls.values():
        wait_until(lambda u=url: _ready(u), timeout=60, interval=0.2, message=f"{url} not ready")
    return urls


def stop_webs(system: System, tag: str, services=SERVICES) -> None:
    for name in services:
        if f"{name}-web-{tag}" in system.processes:
            system.stop(f"{name}-web-{tag}")


def _ready(url: str) -> bool:
    try:
        return requests.get(f"{url}/readyz", timeout=2).status_code == 200
    except requests.RequestException:
        return False
