"""The mixed workload of a busy WohnenPlus day, for locust (headless, started by soak.py).

Every task sends exactly one request, and every user sends at a constant throughput, so the offered
load is fixed: SOAK_RATE requests per second in total, split between the roles as workload.py says. The work
flows as it does in the programme: staff refer households and run matching; companies offer flats,
answer proposals, record leases, sign guarantee contracts and file claims; staff record the
households' answers and sign for the city; caseworkers read their cases, appointments and inbox.
Ids move between roles through in-process queues (one locust process, gevent: no locking needed);
when a queue is empty the task does the read that refills it instead, so the rate stays fixed.

Expected 4xx: a company reading another company's contract must get 404 (a BOLA check under load);
a claim beyond the contract's cap gets 422 `claim.cap_exceeded`. Every other non-2xx is an error.
Each request's latency is written to SOAK_SAMPLES_FILE at the end for exact percentiles.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import time
import uuid
from collections import defaultdict, deque
from datetime import date
from pathlib import Path

from locust import HttpUser, constant_throughput, events, task

import seed as seeding
import workload

SEED = json.loads(Path(os.environ["SOAK_SEED_FILE"]).read_text())
RATE = float(os.environ.get("SOAK_RATE", "20"))
RUN_EVERY = float(os.environ.get("SOAK_RUN_EVERY", "15"))
USERS = workload.users(RATE)
URLS = SEED["urls"]
RNG = random.Random(int(os.environ.get("SOAK_RANDOM_SEED", "9")))
DISTRICTS, LIMITS = seeding.districts(), seeding.rent_limits()


class Work:
    """Ids waiting for the next role's step; `taken` keeps a stale list read from re-queueing an id."""

    def __init__(self) -> None:
        self.queues: dict[str, deque] = defaultdict(deque)
        self.taken: set[str] = set()

    def offer(self, queue: str, item_id: str, item=None) -> None:
        key = f"{queue}:{item_id}"
        if key not in self.taken:
            self.taken.add(key)
            self.queues[queue].append(item if item is not None else item_id)

    def take(self, queue: str):
        return self.queues[queue].popleft() if self.queues[queue] else None


WORK = Work()
FLAT_RENTS: dict[str, dict] = dict(SEED["flat_rents"])
ACTIVE: dict[str, list[str]] = defaultdict(list)  # company id -> active contract ids
for contract in SEED["contracts"]:
    ACTIVE[contract["company_id"]].append(contract["id"])
CLAIMED: dict[str, int] = defaultdict(int)  # contract id -> cents claimed by this run
REPAIRS_CAP = 1_000_000
COUNTS: dict[str, int] = defaultdict(int)  # business steps done, for the report
SAMPLES: list[tuple[float, str, float, int, bool]] = []
_company_slots = itertools.cycle(range(len(SEED["companies"])))
_caseworker_slots = itertools.cycle(range(len(SEED["caseworkers"])))


@events.request.add_listener
def _record(request_type, name, response_time, response_length, response=None, exception=None, context=None, **kw):
    status = getattr(response, "status_code", 0) or 0
    SAMPLES.append((time.time(), name, response_time, status, exception is None))


@events.quitting.add_listener
def _dump(environment, **kw):
    Path(os.environ["SOAK_SAMPLES_FILE"]).write_text(json.dumps({"samples": SAMPLES, "steps": COUNTS}))


def per_user(role: str) -> float:
    return workload.per_user(RATE, role)


class Role(HttpUser):
    abstract = True
    host = URLS["matching"]

    def send(self, method: str, service: str, path: str, name: str, *, body=None, expect=(200, 201),
             allowed: dict[int, str] | None = None, headers: dict | None = None):
        """One request; anything but `expect` (or an allowed 4xx with its problem code) is an error."""
        with self.client.request(method, f"{URLS[service]}/api/v1{path}", name=f"{service} {name}", json=body,
                                 headers={**self.auth, **(headers or {})}, catch_response=True, timeout=30) as r:
            if r.status_code in expect:
                r.success()
                return r.json() if r.headers.get("Content-Type", "").startswith("application/json") else None
            allowed_code = (allowed or {}).get(r.status_code)
            if allowed_code is not None and (allowed_code == "*" or allowed_code in r.text):
                r.success()
                COUNTS[f"expected {r.status_code}: {service} {name}"] += 1
                return None
            r.failure(f"{r.status_code}: {r.text[:200]}")
            return None


class Company(Role):
    """A housing company's staff or ERP integration."""

    fixed_count = USERS["company"]
    wait_time = constant_throughput(per_user("company"))

    def on_start(self) -> None:
        company = SEED["companies"][next(_company_slots)]
        self.company_id, self.auth = company["id"], {"Authorization": company["token"]["Authorization"]}
        self.others = [c for c in SEED["contracts"] if c["company_id"] != self.company_id]

    # reads
    @task(3)
    def list_flats(self):
        for flat in self.send("GET", "matching", "/flats?page_size=20", "GET /flats") or []:
            FLAT_RENTS.setdefault(flat["id"], {k: flat[k] for k in ("cold_rent_cents", "service_charges_cents",
                                                                     "heating_cents")})

    @task(3)
    def list_open_proposals(self):
        for p in self.send("GET", "matching", "/proposals?status=open&page_size=50", "GET /proposals?status=open") or []:
            if p["company_answer"] is None:
                WORK.offer(f"answer:{self.company_id}", p["id"])

    @task(3)
    def list_contracts(self):
        for c in self.send("GET", "contracts", "/contracts?page_size=20", "GET /contracts") or []:
            if c["state"] == "draft" and not c.get("company_signature"):
                WORK.offer(f"sign:{self.company_id}", c["id"])
            elif c["state"] == "active" and c["id"] not in ACTIVE[self.company_id]:
                ACTIVE[self.company_id].append(c["id"])

    @task(3)
    def get_contract(self):
        if not ACTIVE[self.company_id]:
            return self.list_contracts()
        self.send("GET", "contracts", f"/contracts/{RNG.choice(ACTIVE[self.company_id])}", "GET /contracts/{id}")

    @task(1)
    def contract_pdf(self):
        """The guarantee contract as PDF, rendered on every request: a leak there would show in memory."""
        if not ACTIVE[self.company_id]:
            return self.list_contracts()
        self.send("GET", "contracts", f"/contracts/{RNG.choice(ACTIVE[self.company_id])}/document",
                  "GET /contracts/{id}/document")

    @task(2)
    def list_claims(self):
        self.send("GET", "contracts", "/claims?page_size=20", "GET /claims")

    @task(3)
    def inbox(self):
        self.send("GET", "notifications", "/inbox?page_size=20", "GET /inbox")

    @task(2)
    def cases(self):
        self.send("GET", "support", "/cases?page_size=20", "GET /cases")

    @task(1)
    def foreign_contract(self):
        """Another company's contract: 404, never its data."""
        other = RNG.choice(self.others)
        self.send("GET", "contracts", f"/contracts/{other['id']}", "GET /contracts/{foreign id}", expect=(),
                  allowed={404: "*"})

    # writes
    @task(3)
    def answer_proposal(self):
        proposal_id = WORK.take(f"answer:{self.company_id}")
        if proposal_id is None:
            return self.list_open_proposals()
        if RNG.random() < 0.8:
            if self.send("POST", "matching", f"/proposals/{proposal_id}/accept", "POST /proposals/{id}/accept",
                         body={}) is not None:
                COUNTS["company accepted"] += 1
                WORK.offer("household", proposal_id, (proposal_id, self.company_id))
        elif self.send("POST", "matching", f"/proposals/{proposal_id}/decline", "POST /proposals/{id}/decline", body={
                "reason": "household_does_not_fit_house", "text": "Passt nicht in die Hausgemeinschaft."}) is not None:
            COUNTS["company declined"] += 1

    @task(2)
    def record_lease(self):
        proposal = WORK.take(f"lease:{self.company_id}")
        if proposal is None:
            return self.list_open_proposals()
        proposal_id, flat_id = proposal
        rents = FLAT_RENTS.get(flat_id)
        if rents is None:  # a flat this process has not seen yet: read it first
            flat = self.send("GET", "matching", f"/flats/{flat_id}", "GET /flats/{id}")
            if flat is not None:
                FLAT_RENTS[flat_id] = {k: flat[k] for k in ("cold_rent_cents", "service_charges_cents", "heating_cents")}
                WORK.queues[f"lease:{self.company_id}"].appendleft(proposal)
            return
        if self.send("POST", "matching", f"/proposals/{proposal_id}/lease", "POST /proposals/{id}/lease", body={
                "lease_start": date.today().isoformat(), "unlimited": True, **FLAT_RENTS[flat_id]}) is not None:
            COUNTS["leases"] += 1

    @task(2)
    def sign_contract(self):
        contract_id = WORK.take(f"sign:{self.company_id}")
        if contract_id is None:
            return self.list_contracts()
        if self.send("POST", "contracts", f"/contracts/{contract_id}/sign", "POST /contracts/{id}/sign",
                     body={"party": "company"}) is not None:
            COUNTS["company signatures"] += 1
            WORK.offer("city", contract_id)

    @task(2)
    def file_claim(self):
        open_room = [c for c in ACTIVE[self.company_id] if CLAIMED[c] < REPAIRS_CAP - 30_000]
        if not open_room:
            return self.list_contracts()
        contract_id, body = RNG.choice(open_room), seeding.claim_body(RNG)
        CLAIMED[contract_id] += body["amount_cents"]
        if self.send("POST", "contracts", f"/contracts/{contract_id}/claims", "POST /contracts/{id}/claims", body=body,
                     headers={"Idempotency-Key": uuid.uuid4().hex}, allowed={422: "claim.cap_exceeded"}) is not None:
            COUNTS["claims"] += 1

    @task(2)
    def offer_flat(self):
        flat = self.send("POST", "matching", "/flats", "POST /flats",
                         body=seeding.flat_body(RNG, LIMITS, DISTRICTS, date.today()))
        if flat is not None:
            COUNTS["flats offered"] += 1
            FLAT_RENTS[flat["id"]] = {k: flat[k] for k in ("cold_rent_cents", "service_charges_cents", "heating_cents")}


class Staff(Role):
    """The social office: referrals, the households' answers, the city's signature, overviews."""

    fixed_count = USERS["staff"]
    wait_time = constant_throughput(per_user("staff"))
    referrals = itertools.count()

    def on_start(self) -> None:
        self.auth = {"Authorization": SEED["staff"]["Authorization"]}

    @task(3)
    def refer_household(self):
        referral_no = f"AS-{SEED['run_id']}-L{next(self.referrals):06d}"
        if self.send("POST", "matching", "/households", "POST /households",
                     body=seeding.household_body(RNG, referral_no, DISTRICTS, date.today())) is not None:
            COUNTS["households referred"] += 1

    @task(4)
    def household_accepts(self):
        item = WORK.take("household")
        if item is None:
            return self.open_proposals()
        proposal_id, company_id = item
        answer = self.send("POST", "matching", f"/proposals/{proposal_id}/accept", "POST /proposals/{id}/accept (household)",
                           body={"party": "household"})
        if answer is not None:
            COUNTS["household accepted"] += 1
            WORK.offer(f"lease:{company_id}", proposal_id, (proposal_id, answer["flat_id"]))

    @task(3)
    def sign_for_city(self):
        contract_id = WORK.take("city")
        if contract_id is None:
            return self.draft_contracts()
        if self.send("POST", "contracts", f"/contracts/{contract_id}/sign", "POST /contracts/{id}/sign (city)",
                     body={"party": "city"}) is not None:
            COUNTS["contracts activated"] += 1

    @task(1)
    def open_proposals(self):
        for p in self.send("GET", "matching", "/proposals?status=open&page_size=50", "GET /proposals?status=open (staff)") or []:
            if p["company_answer"] == "accepted" and p["household_answer"] is None:
                WORK.offer("household", p["id"], (p["id"], p["company_id"]))

    @task(1)
    def draft_contracts(self):
        for c in self.send("GET", "contracts", "/contracts?state=draft&page_size=50", "GET /contracts?state=draft") or []:
            if c.get("company_signature") and not c.get("city_signature"):
                WORK.offer("city", c["id"])

    @task(1)
    def waiting_households(self):
        self.send("GET", "matching", "/households?status=waiting&page_size=20", "GET /households?status=waiting")

    @task(1)
    def notifications(self):
        self.send("GET", "notifications", "/notifications?page_size=20", "GET /notifications")

    @task(1)
    def inbox(self):
        self.send("GET", "notifications", "/inbox?page_size=20", "GET /inbox (staff)")

    @task(1)
    def crises(self):
        self.send("GET", "support", "/crises?page_size=20", "GET /crises")


class MatchingRunner(Role):
    """Staff start a global matching run every SOAK_RUN_EVERY seconds."""

    fixed_count = USERS["runner"]
    wait_time = constant_throughput(1 / RUN_EVERY)

    def on_start(self) -> None:
        self.auth = {"Authorization": SEED["staff"]["Authorization"]}

    @task
    def matching_run(self):
        # queued for the worker (202); while one is queued or running the next answers 409 (issue 23)
        result = self.send("POST", "matching", "/matching-runs", "POST /matching-runs", body=None, expect=(202,),
                           allowed={409: "matching_run.in_progress"})
        if result is not None:
            COUNTS["matching runs"] += 1


class Caseworker(Role):
    """A caseworker (the tenancy's fixed contact person) working through the day."""

    fixed_count = USERS["caseworker"]
    wait_time = constant_throughput(per_user("caseworker"))

    def on_start(self) -> None:
        worker = SEED["caseworkers"][next(_caseworker_slots)]
        self.caseworker_id, self.auth = worker["id"], {"Authorization": worker["token"]["Authorization"]}
        self.case_ids: list[str] = []

    @task(3)
    def cases(self):
        cases = self.send("GET", "support", "/cases?status=open&page_size=20", "GET /cases (caseworker)")
        if cases:
            self.case_ids = [c["id"] for c in cases]

    @task(2)
    def one_case(self):
        if not self.case_ids:
            return self.cases()
        self.send("GET", "support", f"/cases/{RNG.choice(self.case_ids)}", "GET /cases/{id}")

    @task(2)
    def appointments(self):
        self.send("GET", "support", "/appointments?status=scheduled&page_size=20", "GET /appointments")

    @task(2)
    def inbox(self):
        self.send("GET", "notifications", "/inbox?page_size=20", "GET /inbox (caseworker)")

    @task(2)
    def unread(self):
        self.send("GET", "notifications", "/inbox/unread-count", "GET /inbox/unread-count")
