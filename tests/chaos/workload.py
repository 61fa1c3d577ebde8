"""The business inputs of a chaos run, each with an id of its own, driven only through the HTTP APIs.

Leases come in waves: flats of one company, as many referred households, a matching run, both
sides accept each proposal, the company records the lease. Every lease is known by its proposal id
and every household by its referral number (which carries the run id). Some contracts are then
signed and get an incident or a rent-arrears claim. While the database is away, the web answers
503: the driver waits and tries again; anything else unexpected is recorded, never hidden.
"""

from __future__ import annotations

import base64
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

import requests

from servicekit.workdays import BERLIN

RETRYABLE = {502, 503, 504}


class DriverError(RuntimeError):
    pass


@dataclass
class Lease:
    proposal_id: str
    household_id: str
    company_id: str
    flat_id: str
    referral_no: str


@dataclass
class Observed:
    """What the web said while things failed: status counts per service, and every 5xx except 503."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    statuses: Counter = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    unavailable_not_problem_json: list[str] = field(default_factory=list)
    #: writes answered 503 (or cut off) that had committed nonetheless: the retry met 409
    commits_in_doubt: list[str] = field(default_factory=list)

    def note(self, service: str, method: str, path: str, response: requests.Response | None, error: str | None = None):
        with self.lock:
            if response is None:
                self.statuses[(service, error or "no answer")] += 1
                return
            self.statuses[(service, response.status_code)] += 1
            if response.status_code >= 500 and response.status_code != 503:
                self.server_errors.append(f"{method} {service}{path}: {response.status_code} {response.text[:200]}")
            if response.status_code == 503 and response.headers.get("Content-Type") != "application/problem+json":
                self.unavailable_not_problem_json.append(f"{method} {service}{path}")


class Api:
    def __init__(self, system, observed: Observed, patience: float = 180.0) -> None:
        self.system = system
        self.observed = observed
        self.patience = patience
        self.local = threading.local()

    @property
    def http(self) -> requests.Session:
        if not hasattr(self.local, "session"):
            self.local.session = requests.Session()
        return self.local.session

    def call(self, method: str, service: str, path: str, headers: dict, *, expect=(200, 201),
             conflict_after_retry_ok: bool = False, **kwargs):
        """The answer once it is one of `expect`; waits through 503s and refused connections.
        `conflict_after_retry_ok`: a 409 after a failed attempt means that attempt committed (the
        database went away between its commit and the answer); the caller checks the state."""
        deadline = time.monotonic() + self.patience
        url = f"{self.system.url(service)}/api/v1{path}"
        retried = False
        while True:
            try:
                response = self.http.request(method, url, headers=headers, timeout=30, **kwargs)
            except requests.RequestException as exc:
                self.observed.note(service, method, path, None, type(exc).__name__)
                response = None
            else:
                self.observed.note(service, method, path, response)
                if response.status_code in expect:
                    return response
                if response.status_code == 409 and retried and conflict_after_retry_ok:
                    with self.observed.lock:
                        self.observed.commits_in_doubt.append(f"{method} {service}{path}")
                    return response
                if response.status_code == 429:  # rate limit: wait as the API asks, as a good client does
                    time.sleep(min(float(response.headers.get("Retry-After", "1") or 1), 10.0))
                elif response.status_code not in RETRYABLE and response.status_code < 500:
                    raise DriverError(f"{method} {service}{path}: {response.status_code} {response.text[:300]}")
            if time.monotonic() > deadline:
                status = response.status_code if response is not None else "no answer"
                raise DriverError(f"{method} {service}{path}: still {status} after {self.patience}s")
            retried = True
            time.sleep(0.3)

    def get(self, service: str, path: str, headers: dict):
        return self.call("GET", service, path, headers).json()

    def post(self, service: str, path: str, headers: dict, body: dict | None = None, **kwargs):
        return self.call("POST", service, path, headers, json=body or {}, **kwargs)


def _finished(api, staff, run_id: str, patience: float = 120.0) -> dict:
    """A queued matching run, polled until the worker finished it."""
    deadline = time.monotonic() + patience
    while (run := api.get("matching", f"/matching-runs/{run_id}", staff))["status"] == "pending":
        if time.monotonic() > deadline:
            raise DriverError(f"matching run {run_id} still pending after {patience}s")
        time.sleep(0.3)
    return run


FLAT = {"street": "Wilhelmstraße 12", "postal_code": "70372", "district": "Bad Cannstatt", "rooms": 2,
        "area_m2": 55, "floor": 2, "lift": True, "cold_rent_cents": 55_000, "service_charges_cents": 15_000,
        "heating_cents": 8_000}


class Workload:
    def __init__(self, system, api: Api, *, companies: int, caseworkers: int, wave: int = 10, threads: int = 4):
        self.system = system
        self.api = api
        self.n_companies = companies
        self.n_caseworkers = caseworkers
        self.wave = wave
        self.threads = threads
        self.run = system.run_id
        self.staff = system.token("staff")
        self.admin = system.token("admin")
        self.finance = system.token("finance", sub="chaos-finance")
        self.companies: list[dict] = []
        self.company_tokens: dict[str, dict] = {}
        self.caseworkers: list[dict] = []
        self.leases: list[Lease] = []
        self.households: dict[str, str] = {}  # referral_no -> household id
        self.incidents: dict[str, str] = {}  # incident id -> proposal id
        self.claims: dict[str, str] = {}  # claim id -> proposal id
        self.contracts: dict[str, dict] = {}  # proposal id -> contract as the API showed it
        self.seq = 0
        self.lock = threading.Lock()

    # -- who takes part -------------------------------------------------------------------------


    def _run_matching(self) -> dict:
        """Queue a run (202; 409 while another wave's run is still queued: wait for it) and wait
        until the worker has finished it (issue 23: runs are the worker's, one at a time)."""
        deadline = time.monotonic() + 120
        while True:
            response = self.api.post("matching", "/matching-runs", self.staff, expect=(202, 409))
            if response.status_code == 202:
                return _finished(self.api, self.staff, response.json()["id"])
            if response.json().get("run_id"):
                _finished(self.api, self.staff, response.json()["run_id"])
            if time.monotonic() > deadline:
                raise DriverError("no matching run could be queued for 120 s")
    def setup(self) -> None:
        for i in range(self.n_companies):
            company = self.api.post("contracts", "/companies", self.admin, {
                "name": f"Chaos Wohnbau {self.run}-{i}", "email": f"vermietung-{i}@chaos-{self.run}.example",
                "street": "Königstraße 1", "postal_code": "70173", "city": "Stuttgart",
                "quota_flats_per_year": 1000}).json()
            self.companies.append(company)
            self.company_tokens[company["id"]] = self.system.token("company", company_id=company["id"],
                                                                   sub=f"chaos-company-{i}")
        for company in self.companies:  # matching learns them from contracts.company.registered
            self._wait_registered(company["id"])
        for i in range(self.n_caseworkers):
            self.caseworkers.append(self.api.post("support", "/caseworkers", self.admin, {
                "name": f"Fachkraft {i}", "email": f"fachkraft-{i}@chaos-{self.run}.example", "phone": "0711 216-0",
                "max_cases": 60}).json())

    def _wait_registered(self, company_id: str) -> None:
        """Until matching knows the company (it refuses its flats with 422 before)."""
        deadline = time.monotonic() + self.api.patience
        while self.api.call("GET", "matching", f"/companies/{company_id}", self.company_tokens[company_id],
                            expect=(200, 404)).status_code != 200:
            assert time.monotonic() < deadline, f"matching never learned of company {company_id}"
            time.sleep(0.2)

    # -- leases ----------------------------------------------------------------------------------

    def _referral(self) -> str:
        with self.lock:
            self.seq += 1
            return f"CH-{self.run}-{self.seq:05d}"

    def lease_wave(self, size: int) -> list[Lease]:
        """One company's flats, as many households, a matching run, and every proposal leased."""
        company = self.companies[len(self.leases) // max(1, self.wave) % len(self.companies)]
        token = self.company_tokens[company["id"]]
        today = datetime.now(BERLIN).date().isoformat()
        flats = [self.api.post("matching", "/flats", token, {**FLAT, "unit_ref": f"{self.run}-{self._referral()}",
                                                             "available_from": today}).json() for _ in range(size)]
        referrals = [self._referral() for _ in range(size)]
        for referral in referrals:
            household = self.api.post("matching", "/households", self.staff, {
                "referral_no": referral, "adults": 2, "urgency": "emergency_accommodation",
                "name": f"Haushalt {referral}"}).json()
            self.households[referral] = household["id"]
        by_household = {v: k for k, v in self.households.items()}
        self._run_matching()
        flat_ids = {f["id"] for f in flats}
        proposals = [p for p in self.api.get("matching", "/proposals?status=open&page_size=100", token)
                     if p["flat_id"] in flat_ids]

        def lease(proposal: dict) -> Lease:
            pid = proposal["id"]
            self.api.post("matching", f"/proposals/{pid}/accept", token, conflict_after_retry_ok=True)
            self.api.post("matching", f"/proposals/{pid}/accept", self.staff, {"party": "household"},
                          conflict_after_retry_ok=True)
            leased = self.api.post("matching", f"/proposals/{pid}/lease", token, {
                "lease_start": today, "unlimited": True, "cold_rent_cents": FLAT["cold_rent_cents"],
                "service_charges_cents": FLAT["service_charges_cents"], "heating_cents": FLAT["heating_cents"]},
                conflict_after_retry_ok=True)
            if leased.status_code == 409 and self.api.get("matching", f"/proposals/{pid}", token)["status"] != "leased":
                raise DriverError(f"lease of {pid}: 409 and not leased")
            return Lease(pid, proposal["household_id"], company["id"], proposal["flat_id"],
                         by_household.get(proposal["household_id"], "?"))

        with ThreadPoolExecutor(self.threads) as pool:
            done = list(pool.map(lease, proposals))
        with self.lock:
            self.leases.extend(done)
        return done

    def leases_until(self, n: int, progress=None) -> None:
        while len(self.leases) < n:
            made = self.lease_wave(min(self.wave, n - len(self.leases)))
            if not made:
                raise DriverError("a matching run proposed nothing for a wave of fitting flats and households")
            if progress:
                progress(len(self.leases))

    # -- after the lease: sign, report an incident, claim arrears ---------------------------------

    def contract_of(self, lease: Lease, timeout: float = 240.0) -> dict:
        token = self.company_tokens[lease.company_id]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [c for c in self.api.get("contracts", f"/contracts?household_reference={lease.referral_no}", token)
                     if c["household_id"] == lease.household_id]
            if found:
                return found[0]
            time.sleep(0.5)
        raise DriverError(f"no contract for lease {lease.proposal_id} within {timeout}s")

    def follow_up(self, lease: Lease, *, incident: bool, claim: bool) -> None:
        token = self.company_tokens[lease.company_id]
        contract = self.contract_of(lease)
        self.contracts[lease.proposal_id] = contract
        cid = contract["id"]
        self.api.call("POST", "contracts", f"/contracts/{cid}/sign", token, json={"party": "company"},
                      expect=(200, 409))
        self.api.call("POST", "contracts", f"/contracts/{cid}/sign", self.staff, json={"party": "city"},
                      expect=(200, 409))
        if incident:
            made = self.api.post("contracts", f"/contracts/{cid}/incidents", token, {
                "kind": "payment_delay", "severity": "high",
                "description": f"Chaos {lease.referral_no}: Miete nicht eingegangen."}).json()
            with self.lock:
                self.incidents[made["id"]] = lease.proposal_id
        if claim:
            month = datetime.now(BERLIN).strftime("%Y-%m")
            made = self.api.post("contracts", f"/contracts/{cid}/claims", token, {
                "kind": "rent_arrears", "amount_cents": 50_000, "period": {"first": month, "last": month},
                "description": f"Chaos {lease.referral_no}: Mietrückstand.",
                "evidence": [{"kind": "rent_ledger", "filename": "mietkonto.pdf", "content_type": "application/pdf",
                              "content_base64": base64.b64encode(b"%PDF-1.4\n%%EOF\n").decode()}]}).json()
            with self.lock:
                self.claims[made["id"]] = lease.proposal_id

    def follow_ups(self, every_incident: int, every_claim: int) -> None:
        chosen = [(lease, i % every_incident == 0, i % every_claim == 1)
                  for i, lease in enumerate(self.leases) if i % every_incident == 0 or i % every_claim == 1]
        with ThreadPoolExecutor(self.threads) as pool:
            list(pool.map(lambda item: self.follow_up(item[0], incident=item[1], claim=item[2]), chosen))
