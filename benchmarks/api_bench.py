"""Read API benchmark: throughput and p50/p99 latency of contracts' read endpoints under wrk, as a
ratio of a bare Flask JSON endpoint served by gunicorn with the same settings
(servicekit/web/gunicorn_conf.py, same WEB_CONCURRENCY), measured in the same run.

    .venv/bin/python benchmarks/api_bench.py [--seconds 15] [--connections 16] [--workers 2]

The service side is the real thing: `wohnenplus web contracts` (gunicorn, JWT verification,
SQLAlchemy on its own PostgreSQL database, metrics, JSON logs), with contracts created through the
real event path (`matching.tenancy.agreed` → contracts worker). During the measurement only the
process under test runs (the rest of the system is stopped) so both sides get the same machine.
The bare baseline answers the same JSON document (one contract as the service renders it); a
second bare endpoint runs one hand-written SQL query for the contract on the same database (no ORM,
no auth, no schema), to show how much of the gap is the database round trip itself.

Needs `wrk` (Debian: `apt-get install -y wrk`); installs it with apt-get when missing and allowed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import requests

from servicekit.clock import berlin_date  # the day in Stuttgart, as the services count it

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from servicekit.testing import wait_until  # noqa: E402
from servicekit.testing.helpers import BusProbe  # noqa: E402
from system import BIN, System, free_port  # noqa: E402

BARE_APP = '''
import json, os
import psycopg
from flask import Flask, Response
app = Flask(__name__)
BODY = open(os.environ["BENCH_BODY_FILE"], "rb").read()
_connection = None

@app.get("/bare")
def bare():
    return Response(BODY, mimetype="application/json")

@app.get("/bare-db/<contract_id>")
def bare_db(contract_id):
    """One hand-written query on the same database, no ORM, no auth, no schema: the floor for a DB read."""
    global _connection
    if _connection is None:
        _connection = psycopg.connect(os.environ["BENCH_DATABASE_URL"], autocommit=True)
    row = _connection.execute("SELECT row_to_json(c)::text FROM contracts c WHERE id = %s", (contract_id,)).fetchone()
    return Response(row[0], mimetype="application/json")
'''


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if shutil.which("apt-get") and os.geteuid() == 0:
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True, capture_output=True)
        found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is needed: apt-get install -y wrk")
    return found


def _seconds(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]


def run_wrk(wrk: str, url: str, headers: dict[str, str], seconds: int, connections: int) -> dict:
    command = [wrk, "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    out = subprocess.run(command + [url], check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    percentiles = {int(p): _seconds(v) for p, v in re.findall(r"^\s+(50|99)%\s+(\S+)", out, re.M)}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    if errors or socket_errors:
        raise SystemExit(f"errors under load against {url}:\n{out}")
    return {"rps": rps, "p50_ms": round(percentiles[50] * 1000, 2), "p99_ms": round(percentiles[99] * 1000, 2)}


def seed_contracts(system: System, count: int) -> tuple[str, list[str]]:
    """A company with `count` contracts, through the real event path; returns (company id, contract ids)."""
    admin = system.token("admin")
    company = requests.post(f"{system.url('contracts')}/api/v1/companies", headers=admin, timeout=10, json={
        "name": f"Bench Wohnbau {system.run_id}", "email": "bench@wohnbau.example", "street": "Königstraße 1",
        "postal_code": "70173", "city": "Stuttgart"}).json()
    probe = BusProbe(system.settings)
    try:
        for i in range(count):
            probe.publish("matching.tenancy.agreed", {
                "proposal_id": str(uuid.uuid4()), "flat_id": str(uuid.uuid4()), "household_id": str(uuid.uuid4()),
                "company_id": company["id"], "lease_start": berlin_date(datetime.now(timezone.utc)).isoformat(), "cold_rent_cents": 59_000,
                "service_charges_cents": 16_000, "heating_cents": 8_000,
                "address": {"street": "Wilhelmstraße 12", "postal_code": "70372", "city": "Stuttgart",
                            "district": "Bad Cannstatt"},
                "household": {"name": f"Haushalt {i}", "email": None, "phone": None, "size": 2},
                "household_reference": f"AS-BENCH-{i:05d}",
            }, source="matching")
    finally:
        probe.close()
    token = system.token("company", company_id=company["id"])

    def listed():
        response = requests.get(f"{system.url('contracts')}/api/v1/contracts?page_size=100", headers=token, timeout=10)
        return response.status_code == 200 and int(json.loads(response.headers["X-Pagination"])["total"]) >= count \
            and [c["id"] for c in response.json()]

    return company["id"], wait_until(listed, timeout=120, interval=0.5, message="contracts not created")


def start_bare(workdir: Path, body: bytes, workers: int, database_url: str) -> tuple[subprocess.Popen, int]:
    (workdir / "bare_app.py").write_text(BARE_APP)
    (workdir / "body.json").write_bytes(body)
    metrics_dir = workdir / "prom"
    metrics_dir.mkdir()
    port = free_port()
    conf = ROOT / "libs" / "servicekit" / "servicekit" / "web" / "gunicorn_conf.py"
    env = dict(os.environ, PORT=str(port), WEB_CONCURRENCY=str(workers), BENCH_BODY_FILE=str(workdir / "body.json"),
               PROMETHEUS_MULTIPROC_DIR=str(metrics_dir), PYTHONPATH=str(workdir),
               BENCH_DATABASE_URL=database_url.replace("postgresql+psycopg://", "postgresql://"))
    process = subprocess.Popen([str(BIN / "gunicorn"), "-c", str(conf), "bare_app:app"], env=env, cwd=workdir,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)

    def up():
        try:
            return requests.get(f"http://127.0.0.1:{port}/bare", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    wait_until(up, timeout=30, interval=0.2, message="bare app did not start")
    return process, port


def main() -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (WEB_CONCURRENCY), both sides")
    parser.add_argument("--contracts", type=int, default=200)
    args = parser.parse_args()
    wrk = ensure_wrk()
    workdir = Path(tempfile.mkdtemp(prefix="wp-api-bench-"))
    system = System(workdir, web_workers=args.workers, extra_env={"LOG_LEVEL": "WARNING", "RATELIMIT_ENABLED": "false"})
    bare = None
    try:
        system.start()
        company_id, contract_ids = seed_contracts(system, args.contracts)
        token = system.token("company", company_id=company_id)["Authorization"]
        one_url = f"{system.url('contracts')}/api/v1/contracts/{contract_ids[len(contract_ids) // 2]}"
        list_url = f"{system.url('contracts')}/api/v1/contracts?page_size=20"
        body = requests.get(one_url, headers={"Authorization": token}, timeout=10).content
        for name in list(system.processes):  # only the process under test keeps running
            if name != "contracts-web":
                system.stop(name)
        time.sleep(1)
        headers = {"Authorization": token}
        run_wrk(wrk, one_url, headers, 3, args.connections)  # warm up
        one = run_wrk(wrk, one_url, headers, args.seconds, args.connections)
        many = run_wrk(wrk, list_url, headers, args.seconds, args.connections)
        system.stop("contracts-web")
        bare, port = start_bare(workdir, body, args.workers, system.env["CONTRACTS_DATABASE_URL"])
        run_wrk(wrk, f"http://127.0.0.1:{port}/bare", {}, 3, args.connections)
        baseline = run_wrk(wrk, f"http://127.0.0.1:{port}/bare", {}, args.seconds, args.connections)
        db_url = f"http://127.0.0.1:{port}/bare-db/{contract_ids[len(contract_ids) // 2]}"
        floor = run_wrk(wrk, db_url, {}, args.seconds, args.connections) \
            if system.env["CONTRACTS_DATABASE_URL"].startswith("postgresql") else None  # SQLite: no floor
    finally:
        if bare is not None:
            os.killpg(bare.pid, 15)
            bare.wait(20)
        system.shutdown()
        shutil.rmtree(workdir, ignore_errors=True)
    result = {
        "benchmark": "read API under wrk",
        "load": f"wrk -t2 -c{args.connections} -d{args.seconds}s, gunicorn sync × {args.workers}",
        "bare_flask_json": baseline,
        "bare_flask_one_sql_query": floor,
        "contracts_get_one": one,
        "contracts_list_20": many,
        "get_one_ratio": round(one["rps"] / baseline["rps"], 2),
        "list_20_ratio": round(many["rps"] / baseline["rps"], 2),
        "get_one_vs_one_sql_query": round(one["rps"] / floor["rps"], 2) if floor else None,
        "target_ratio": 0.5,
    }
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
