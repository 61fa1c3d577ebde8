"""What a logged read costs: `GET /api/v1/households/{id}` of matching, in process, with the access
log written (as served) against the same read with its schema's `household_key` switched off — on
SQLite (the `make run` default) and on PostgreSQL (when it answers). Baseline and measurement in the
same run; the ratio is what holds on a noisy machine.

    python benchmarks/access_log_bench.py [--reads 400]
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
import uuid
from pathlib import Path

from servicekit.auth import ensure_dev_keys, mint_token
from servicekit.db import migrations
from servicekit.db.database import Database
from servicekit.privacy import crypto
from servicekit.service import load
from servicekit.settings import Settings
from servicekit.testing.helpers import create_postgres_database, drop_postgres_database, postgres_available
from servicekit.web.app import create_app


def measure(database_url: str, reads: int, var_dir: Path) -> tuple[float, float]:
    from matching.schemas import HouseholdOut

    svc = load("matching")
    settings = dataclasses.replace(Settings.from_env(svc.name, svc.web_port, svc.worker_metrics_port),
                                   database_url=database_url, var_dir=var_dir,
                                   jwt_private_key_file=var_dir / "jwt" / "dev-private.pem")
    crypto.configure(settings)
    migrations.upgrade(svc.migrations_dir, database_url)
    db = Database(database_url)
    client = create_app(svc, settings, db=db).test_client()
    staff = {"Authorization": f"Bearer {mint_token(settings, sub='bench', roles=['staff'])}"}
    household = client.post("/api/v1/households", headers=staff, json={
        "referral_no": f"B-{uuid.uuid4().hex[:8]}", "name": "Erika Muster", "adults": 1,
        "urgency": "inadequate_housing"}).json
    url = f"/api/v1/households/{household['id']}"

    def timed() -> float:
        for _ in range(20):  # warm up
            client.get(url, headers=staff)
        started = time.perf_counter()
        for _ in range(reads):
            assert client.get(url, headers=staff).status_code == 200
        return (time.perf_counter() - started) / reads * 1000

    logged = timed()
    key, HouseholdOut.household_key = HouseholdOut.household_key, None
    try:
        unlogged = timed()
    finally:
        HouseholdOut.household_key = key
    db.dispose()
    return logged, unlogged


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reads", type=int, default=400)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        var_dir = Path(tmp)
        ensure_dev_keys(var_dir)
        crypto.ensure_dev_data_key(var_dir)
        targets = [("SQLite", f"sqlite:///{var_dir / 'matching.db'}", None)]
        if postgres_available():
            name = f"wp_bench_access_{uuid.uuid4().hex[:8]}"
            targets.append(("PostgreSQL", create_postgres_database(name), name))
        print(f"{'database':12} {'logged read ms':>15} {'unlogged ms':>12} {'cost ms':>8} {'ratio':>6}")
        for label, url, pg_name in targets:
            try:
                logged, unlogged = measure(url, args.reads, var_dir)
            finally:
                if pg_name:
                    drop_postgres_database(pg_name)
            print(f"{label:12} {logged:15.2f} {unlogged:12.2f} {logged - unlogged:8.2f} {logged / unlogged:6.2f}")


if __name__ == "__main__":
    main()
