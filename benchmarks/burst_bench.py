"""The burst after a city-wide matching run: every proposal's company notifications delivered, and
the web APIs' latency while it lasts.

    .venv/bin/python benchmarks/burst_bench.py [--proposals 5600] [--companies 20] [--rate 20]

A matching run over 50,000 households × 10,000 flats makes about 5,600 proposals at once
(benchmarks/matching_bench.py measures the run itself). This benchmark starts the whole system
(tests/system.py: every web and worker process, PostgreSQL, the real broker), a real SMTP server
(aiosmtpd) and a company webhook receiver that verifies each call with the `standardwebhooks`
library, registers the companies through the contracts API and their webhooks through the
notifications API, and then publishes the run's `matching.proposal.created` events onto the bus
at once, as matching's relay does after the run commits. It measures until every proposal has its
company notifications delivered — inbox row, mail received by the SMTP server, verified webhook
received — and, meanwhile, the latency of a company's reads (`GET /api/v1/inbox` and
`GET /api/v1/contracts`) sent open-loop at `--rate` per second. The baseline is the same reads'
latency at rest, measured just before the burst in the same run. Targets (issue 21): all delivered
within 60 s, API p99 ≤ 250 ms during the burst.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

from servicekit.clock import berlin_date  # the day in Stuttgart, as the services count it
from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, text
from standardwebhooks import Webhook

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from servicekit.testing import wait_until  # noqa: E402
from servicekit.testing.helpers import BusProbe  # noqa: E402
from system import System, free_port  # noqa: E402

DISTRICTS = ["Mitte", "Nord", "Ost", "Süd", "West", "Bad Cannstatt", "Feuerbach", "Vaihingen", "Zuffenhausen"]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


class MailCounter:
    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's naming)
        with self.lock:
            self.count += 1
        return "250 Message accepted for delivery"


class HookCounter:
    """Every company's endpoint: counts the calls whose signature verifies with that company's secret."""

    def __init__(self) -> None:
        self.secrets: dict[str, str] = {}
        self.verified = 0
        self.refused = 0
        self.lock = threading.Lock()
        counter = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                try:
                    Webhook(counter.secrets[self.path.rsplit("/", 1)[-1]]).verify(body, dict(self.headers.items()))
                    ok = True
                except Exception:  # noqa: BLE001 — whatever fails to verify is refused
                    ok = False
                with counter.lock:
                    if ok:
                        counter.verified += 1
                    else:
                        counter.refused += 1
                self.send_response(204 if ok else 401)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, company_id: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/{company_id}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def register_companies(system: System, count: int, hooks: HookCounter) -> list[dict]:
    admin = system.token("admin")
    companies = []
    for i in range(count):
        response = requests.post(f"{system.url('contracts')}/api/v1/companies", headers=admin, timeout=30, json={
            "name": f"Burst Wohnbau {i} {system.run_id}", "email": f"vermietung-{i}@wohnbau.example",
            "street": "Königstraße 1", "postal_code": "70173", "city": "Stuttgart"})
        response.raise_for_status()
        company = response.json()
        company["token"] = system.token("company", company_id=company["id"], sub=f"burst-company-{i}")
        companies.append(company)
    for company in companies:  # notifications learns the company from contracts' event first

        def hooked():
            response = requests.put(f"{system.url('notifications')}/api/v1/companies/{company['id']}/webhook",
                                    headers=company["token"], json={"url": hooks.url(company["id"])}, timeout=30)
            return response.status_code == 200 and response.json()

        hooks.secrets[company["id"]] = wait_until(hooked, timeout=120, interval=0.5,
                                                  message="webhook not registered")["secret"]
    return companies


def proposal_events(companies: list[dict], count: int) -> list[dict]:
    respond_by = (berlin_date(datetime.now(timezone.utc)) + timedelta(days=7)).isoformat()
    events = []
    for i in range(count):
        district = DISTRICTS[i % len(DISTRICTS)]
        events.append({
            "proposal_id": str(uuid.uuid4()), "flat_id": str(uuid.uuid4()), "household_id": str(uuid.uuid4()),
            "company_id": companies[i % len(companies)]["id"], "respond_by": respond_by, "district": district,
            "rooms": 2.5, "unit_ref": f"B-{i:05d}",
            "address": {"street": f"Burststraße {i % 200 + 1}", "postal_code": "70372", "city": "Stuttgart",
                        "district": district},
            "household_reference": f"AS-2026-{i:05d}",
        })
    return events


class Reads:
    """A company's reads, sent open-loop at `rate` per second until stopped; latencies kept."""

    def __init__(self, system: System, companies: list[dict], rate: float) -> None:
        self.urls = [f"{system.url('notifications')}/api/v1/inbox?page_size=20",
                     f"{system.url('contracts')}/api/v1/contracts?page_size=20"]
        self.companies, self.rate = companies, rate
        self.latencies: list[float] = []
        self.errors = 0
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.local = threading.local()

    def _one(self, i: int) -> None:
        session = getattr(self.local, "session", None) or requests.Session()
        self.local.session = session
        started = time.perf_counter()
        try:
            ok = session.get(self.urls[i % 2], headers=self.companies[i % len(self.companies)]["token"],
                             timeout=30).status_code == 200
        except requests.RequestException:
            ok = False
        with self.lock:
            self.latencies.append(time.perf_counter() - started)
            self.errors += not ok

    def run_for(self, seconds: float | None = None) -> list[float]:
        self.latencies, self.errors = [], 0
        start = time.perf_counter()
        with ThreadPoolExecutor(32) as pool:
            i = 0
            while not self.stop.is_set() and (seconds is None or time.perf_counter() - start < seconds):
                delay = start + i / self.rate - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                pool.submit(self._one, i)
                i += 1
        return self.latencies

    @staticmethod
    def summary(latencies: list[float]) -> dict:
        return {"requests": len(latencies), "p50_ms": round(statistics.median(latencies) * 1000, 1),
                "p99_ms": round(percentile(latencies, 99) * 1000, 1)}


def delivered(engine) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT channel, count(*) FROM notifications WHERE event_type = 'matching.proposal.created' "
            "AND recipient LIKE 'company:%' AND state = 'delivered' GROUP BY channel")).all()
    return {channel: n for channel, n in rows}


def main() -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--proposals", type=int, default=5600)
    parser.add_argument("--companies", type=int, default=20)
    parser.add_argument("--rate", type=float, default=20, help="company reads per second during the burst")
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args()

    mail = MailCounter()
    controller = Controller(mail, hostname="127.0.0.1", port=free_port())
    controller.start()
    hooks = HookCounter()
    workdir = Path(tempfile.mkdtemp(prefix="wp-burst-bench-"))
    system = System(workdir, extra_env={
        "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(controller.port), "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING", "RATELIMIT_ENABLED": "false"})
    try:
        system.start()
        companies = register_companies(system, args.companies, hooks)
        events = proposal_events(companies, args.proposals)
        engine = create_engine(system.env["NOTIFICATIONS_DATABASE_URL"])
        reads = Reads(system, companies, args.rate)
        at_rest = Reads.summary(reads.run_for(10))
        mail_before, hooks_before = mail.count, hooks.verified  # the registrations' own messages

        load = threading.Thread(target=reads.run_for, daemon=True)
        probe = BusProbe(system.settings)
        started = time.perf_counter()
        load.start()
        try:
            for data in events:
                probe.publish("matching.proposal.created", data, source="matching")
        finally:
            probe.close()
        published_s = time.perf_counter() - started
        milestones: dict[str, float] = {}
        target = args.proposals
        while time.perf_counter() - started < args.timeout:
            counts = delivered(engine)
            now = time.perf_counter() - started
            for name, done in (("inbox", counts.get("inbox", 0) >= target),
                               ("email", counts.get("email", 0) >= target and mail.count - mail_before >= target),
                               ("webhook", counts.get("webhook", 0) >= target
                                and hooks.verified - hooks_before >= target)):
                if done and name not in milestones:
                    milestones[name] = round(now, 1)
            if len(milestones) == 3:
                break
            time.sleep(0.5)
        reads.stop.set()
        load.join(timeout=60)
        during = Reads.summary(reads.latencies)
        engine.dispose()
    finally:
        system.shutdown()
        shutil.rmtree(workdir, ignore_errors=True)
        hooks.stop()
        controller.stop()
    all_delivered = max(milestones.values()) if len(milestones) == 3 else None
    result = {
        "benchmark": "burst after a city-wide matching run",
        "proposals": args.proposals, "companies": args.companies,
        "published_in_s": round(published_s, 1),
        "delivered_after_s": milestones,
        "all_delivered_s": all_delivered,
        "mails_received_company_and_staff": mail.count - mail_before, "webhooks_verified": hooks.verified - hooks_before,
        "webhooks_refused": hooks.refused,
        "company_reads_at_rest": at_rest,
        "company_reads_during_burst": {**during, "errors": reads.errors},
        "p99_ratio_burst_vs_rest": round(during["p99_ms"] / at_rest["p99_ms"], 2),
        "target": "all delivered within 60 s, API p99 <= 250 ms during the burst",
        "target_met": bool(all_delivered is not None and all_delivered <= 60 and during["p99_ms"] <= 250),
    }
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
