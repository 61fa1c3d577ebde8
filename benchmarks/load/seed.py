"""Realistic starting data for the soak, created through the HTTP APIs only (as the programme's
people would): housing companies, caseworkers, flats across Stuttgart's districts with cold rents
just under the social office's limits, a waiting list of referred households, and a first matching
run whose proposals become leases and then active guarantee contracts — so that the workload has
contracts to read and claims to file from its first second.

Program facts (districts, rent limits) come from matching's own configuration files, not from code.
"""

from __future__ import annotations

import json
import random
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "services" / "matching" / "matching" / "config"

COMPANIES = [  # fictitious companies, real Stuttgart addresses
    ("Neckar Wohnbau eG", "Königstraße 20", "70173"),
    ("Filder Wohnen GmbH", "Epplestraße 5", "70597"),
    ("Cannstatter Baugenossenschaft", "Marktstraße 40", "70372"),
    ("Feuerbacher Heim eG", "Stuttgarter Straße 101", "70469"),
    ("Vaihinger Wohnungsbau GmbH", "Hauptstraße 30", "70563"),
    ("Zuffenhausen Wohnen eG", "Unterländer Straße 80", "70435"),
]
FIRST = ["Aylin", "Murat", "Jonas", "Sabine", "Elena", "Thomas", "Fatma", "Lukas", "Marija", "Ahmad", "Petra", "Olena"]
LAST = ["Demir", "Nowak", "Weber", "Roth", "Haddad", "Popescu", "Krüger", "Yilmaz", "Schäfer", "Kovač", "Müller"]
STREETS = ["Hauptstraße", "Bahnhofstraße", "Schillerstraße", "Gartenstraße", "Neckarstraße", "Kirchstraße",
           "Lindenstraße", "Rosenstraße", "Wiesenstraße", "Talstraße"]
URGENCIES = ["emergency_accommodation", "threatened_homelessness", "threatened_homelessness", "inadequate_housing"]
# flat shapes for households of 1..5 persons: (persons, rooms, m²)
SHAPES = [(1, 1.5, 38), (1, 2, 45), (2, 2, 55), (2, 2.5, 60), (3, 3, 72), (4, 3.5, 88), (5, 4, 104)]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def districts() -> list[str]:
    return json.loads((CONFIG / "districts.json").read_text())["districts"]


def rent_limits() -> dict[int, int]:
    rows = json.loads((CONFIG / "rent_limits.json").read_text())["by_household_size"]
    return {row["persons"]: row["max_cold_rent_cents"] for row in rows}


class Api:
    """Thin HTTP helper that fails loudly: a seed that half worked would make the soak meaningless."""

    def __init__(self, urls: dict[str, str]) -> None:
        self.urls = urls
        self.http = requests.Session()
        self.http.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=16))

    def call(self, method: str, service: str, path: str, headers: dict, body: Any = None,
             expect: tuple[int, ...] = (200, 201)) -> Any:
        response = self.http.request(method, f"{self.urls[service]}/api/v1{path}", headers=headers, json=body,
                                     timeout=60)
        if response.status_code not in expect:
            raise RuntimeError(f"seed: {method} {service}{path} answered {response.status_code}: {response.text[:300]}")
        return response.json()

    def all(self, service: str, path: str, headers: dict) -> list[dict]:
        items, page = [], 1
        while True:
            sep = "&" if "?" in path else "?"
            batch = self.call("GET", service, f"{path}{sep}page={page}&page_size=100", headers)
            items += batch
            if len(batch) < 100:
                return items
            page += 1


def flat_body(rng: random.Random, limits: dict[int, int], all_districts: list[str], today: date) -> dict:
    """A flat as a company offers it: cold rent 85-99 % of the limit of the household it is built for."""
    persons, rooms, area = rng.choice(SHAPES)
    cold = int(limits[persons] * rng.uniform(0.85, 0.99)) // 100 * 100
    district = rng.choice(all_districts)
    return {
        "unit_ref": f"{district[:3].upper()}-{rng.randrange(10_000):04d}",
        "street": f"{rng.choice(STREETS)} {rng.randrange(1, 180)}", "postal_code": f"70{rng.randrange(173, 629):03d}",
        "district": district, "rooms": rooms, "area_m2": area, "floor": rng.randrange(0, 6),
        "lift": rng.random() < 0.5, "barrier_free": rng.random() < 0.15,
        "cold_rent_cents": cold, "service_charges_cents": int(area * 290) // 100 * 100,
        "heating_cents": int(area * 140) // 100 * 100,
        "available_from": (today + timedelta(days=rng.randrange(0, 45))).isoformat(),
    }


def household_body(rng: random.Random, referral_no: str, all_districts: list[str], today: date) -> dict:
    adults = rng.choice([1, 1, 1, 2, 2, 3])
    children = rng.choice([0, 0, 0, 1, 2]) if adults < 3 else 0
    preferred = rng.sample(all_districts, rng.choice([0, 0, 1, 2]))
    return {
        "referral_no": referral_no, "name": f"{rng.choice(FIRST)} {rng.choice(LAST)}", "adults": adults,
        "children": children, "urgency": rng.choice(URGENCIES),
        "email": f"{referral_no.lower()}@haushalt.example" if rng.random() < 0.6 else None,
        "preferred_districts": preferred, "needs_ground_floor_or_lift": rng.random() < 0.1,
        "referred_on": (today - timedelta(days=rng.randrange(0, 700))).isoformat(),
    }


def claim_body(rng: random.Random) -> dict:
    import base64

    return {
        "kind": "damage_repairs", "amount_cents": rng.randrange(50, 250) * 100,
        "description": rng.choice(["Wasserschaden im Bad, Fliesen ersetzt.", "Tür im Flur beschädigt.",
                                   "Fenster im Kinderzimmer gesprungen.", "Schimmel nach Wasserschaden beseitigt."]),
        "evidence": [{"kind": "invoice", "filename": "rechnung.pdf", "content_type": "application/pdf",
                      "content_base64": base64.b64encode(PDF).decode()}],
    }


def seed(system, *, households: int, flats: int, leases: int, caseworkers: int, rng: random.Random) -> dict:
    """Create the starting data; returns what the load generator needs (ids and tokens)."""
    api = Api({name: system.url(name) for name in system.services})
    admin, staff = system.token("admin", sub="soak-admin"), system.token("staff", sub="soak-staff")
    all_districts, limits, today = districts(), rent_limits(), date.today()
    run = system.run_id
    companies = []
    for name, street, plz in COMPANIES:
        company = api.call("POST", "contracts", "/companies", admin, {
            "name": f"{name} {run}", "email": f"vermietung.{len(companies)}.{run}@wohnbau.example",
            "street": street, "postal_code": plz, "city": "Stuttgart", "quota_flats_per_year": 200}, expect=(201,))
        companies.append({"id": company["id"], "name": company["name"],
                          "token": system.token("company", company_id=company["id"], sub=f"soak-company-{len(companies)}")})
    for company in companies:  # matching learns them from contracts.company.registered; 422 for flats before
        deadline = time.monotonic() + 60
        while api.http.get(f"{api.urls['matching']}/api/v1/companies/{company['id']}", headers=company["token"],
                           timeout=10).status_code != 200:
            if time.monotonic() > deadline:
                raise RuntimeError(f"seed: matching never learned of company {company['id']}")
            time.sleep(0.2)
    workers = []
    for i in range(caseworkers):
        worker = api.call("POST", "support", "/caseworkers", admin, {
            "name": f"{rng.choice(FIRST)} {rng.choice(LAST)}", "email": f"fk{i}.{run}@stuttgart.example",
            "phone": f"0711 216-{80100 + i}", "max_cases": 200, "weekly_minutes": 2400}, expect=(201,))
        workers.append({"id": worker["id"], "token": system.token("caseworker", sub=worker["id"])})

    flat_specs = [(companies[i % len(companies)], flat_body(rng, limits, all_districts, today)) for i in range(flats)]
    with ThreadPoolExecutor(8) as pool:
        created = list(pool.map(lambda spec: (spec[0], api.call("POST", "matching", "/flats", spec[0]["token"], spec[1],
                                                                 expect=(201,))), flat_specs))
        list(pool.map(lambda i: api.call("POST", "matching", "/households", staff,
                                         household_body(rng, f"AS-{run}-{i:05d}", all_districts, today), expect=(201,)),
                      range(households)))
    flat_rents = {flat["id"]: {k: flat[k] for k in ("cold_rent_cents", "service_charges_cents", "heating_cents")}
                  for _, flat in created}

    queued = api.call("POST", "matching", "/matching-runs", staff, expect=(202,))
    while (matching_run := api.call("GET", "matching", f"/matching-runs/{queued['id']}", staff))["status"] == "pending":
        time.sleep(0.3)  # the worker runs it (issue 23)
    proposals = api.all("matching", "/proposals?status=open", staff)
    by_company = {c["id"]: c for c in companies}
    to_lease = proposals[:leases]

    def lease(p: dict) -> None:
        token = by_company[p["company_id"]]["token"]
        api.call("POST", "matching", f"/proposals/{p['id']}/accept", token, {})
        api.call("POST", "matching", f"/proposals/{p['id']}/accept", staff, {"party": "household"})
        api.call("POST", "matching", f"/proposals/{p['id']}/lease", token, {
            "lease_start": today.isoformat(), "unlimited": True, **flat_rents[p["flat_id"]]})

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lease, to_lease))
    contracts = wait_for_contracts(api, staff, len(to_lease))

    def activate(contract: dict) -> None:
        token = by_company[contract["company_id"]]["token"]
        api.call("POST", "contracts", f"/contracts/{contract['id']}/sign", token, {"party": "company"})
        api.call("POST", "contracts", f"/contracts/{contract['id']}/sign", staff, {"party": "city"})

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(activate, contracts))
    return {
        "urls": api.urls, "run_id": run, "staff": staff, "admin": admin,
        "companies": companies, "caseworkers": workers, "flat_rents": flat_rents,
        "contracts": [{"id": c["id"], "company_id": c["company_id"]} for c in contracts],
        "seeded": {"companies": len(companies), "caseworkers": len(workers), "flats": len(created),
                   "households": households, "first_run_proposals": matching_run["proposals_created"],
                   "leases": len(to_lease), "active_contracts": len(contracts)},
    }


def wait_for_contracts(api: Api, staff: dict, count: int, timeout: float = 180.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while True:
        contracts = api.all("contracts", "/contracts?state=draft", staff)
        if len(contracts) >= count:
            return contracts
        if time.monotonic() > deadline:
            raise RuntimeError(f"seed: only {len(contracts)} of {count} contracts created within {timeout:.0f} s")
        time.sleep(1)
