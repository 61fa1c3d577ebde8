"""`make soak`: the whole system under the mixed workload of a busy day at a fixed rate, then the verdict.

    .venv/bin/python benchmarks/load/soak.py        # settings from the environment:

    SOAK_SECONDS=300      how long the load runs
    SOAK_RATE=20          requests per second offered by companies, staff and caseworkers together
    SOAK_RUN_EVERY=15     seconds between staff matching runs (on top of SOAK_RATE)
    SOAK_HOUSEHOLDS=1000  referred households seeded before the load (the waiting list)
    SOAK_FLATS=120        flats seeded (6 companies); SOAK_LEASES=48 of them leased and contracted
    SOAK_WEB_WORKERS=2    gunicorn workers per web process (WEB_CONCURRENCY)
    SOAK_WARMUP=60        seconds after which memory counts as warmed up
    SOAK_MEMORY_TOLERANCE=0.10   allowed RSS growth from after the warm-up to the end
    SOAK_RESULTS=benchmarks/LOAD-RESULTS.md   where the report goes (empty: not written)

The system is tests/system.py's: gunicorn web and worker of each service as real processes, one
PostgreSQL database each, the real broker under a prefix of its own, and a real SMTP server here for
the notifications. Seeding goes through the HTTP APIs (seed.py); the load is locust, headless
(locustfile.py). Exit status 1 when a criterion fails:

- 0 errors: every response 2xx, except the 4xx the scenario expects (locustfile.py says which);
- the offered rate was sustained (at least 95 % of the requests the fixed rate asks for were sent);
- memory flat: each process's RSS at the end within the tolerance of its RSS after the warm-up, and
  no process replaced (memory.py);
- every queue of the run (events, retry tiers, dead letters) and every outbox back to 0 afterwards;
- every lease recorded became one guarantee contract and one support case;
- no error line (or traceback, or gunicorn worker timeout) in any service's log.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(HERE))

import drain  # noqa: E402
import memory  # noqa: E402
import seed as seeding  # noqa: E402
import workload  # noqa: E402
from system import BIN, System, free_port  # noqa: E402


def setting(name: str, default: str) -> str:
    return os.environ.get(f"SOAK_{name}") or default


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


class MailSink:
    """A real SMTP server that accepts every message, so notifications deliver as in production."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        class Count:
            received = 0

            async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's naming)
                Count.received += 1
                return "250 Message accepted for delivery"

        self.handler = Count()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=free_port())
        self.controller.start()

    @property
    def port(self) -> int:
        return self.controller.port

    def stop(self) -> None:
        self.controller.stop()


def machine_load() -> dict:
    load1, load5, _ = os.getloadavg()
    others = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout.splitlines()
    return {"loadavg_1m": round(load1, 2), "loadavg_5m": round(load5, 2),
            "other_pytest_processes": sum("pytest" in line for line in others)}


def run_locust(workdir: Path, seed_file: Path, seconds: int, rate: float, run_every: float) -> dict:
    samples_file = workdir / "samples.json"
    env = dict(os.environ, SOAK_SEED_FILE=str(seed_file), SOAK_SAMPLES_FILE=str(samples_file),
               SOAK_RATE=str(rate), SOAK_RUN_EVERY=str(run_every),
               PYTHONPATH=os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]))
    users = sum(workload.users(rate).values())  # every user class has its fixed_count
    command = [str(BIN / "locust"), "-f", str(HERE / "locustfile.py"), "--headless", "--users", str(users),
               "--spawn-rate", str(users), "--run-time", f"{seconds}s", "--stop-timeout", "30",
               "--loglevel", "WARNING", "--only-summary", "--exit-code-on-error", "0"]
    with open(workdir / "locust.log", "wb") as log:
        finished = subprocess.run(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=HERE)
    if finished.returncode != 0:
        raise RuntimeError(f"locust exited with {finished.returncode}:\n{(workdir / 'locust.log').read_text()[-3000:]}")
    return json.loads(samples_file.read_text())


def summarise(samples: list, seconds: float) -> tuple[list[dict], list[str]]:
    by_name: dict[str, list] = defaultdict(list)
    failures: list[str] = []
    for at, name, ms, status, ok in samples:
        by_name[name].append((ms, status, ok))
        if not ok:
            failures.append(f"{name} -> {status}")
    rows = []
    for name, items in sorted(by_name.items()):
        times = [ms for ms, _, _ in items]
        rows.append({"endpoint": name, "requests": len(items), "per_s": round(len(items) / seconds, 2),
                     "errors": sum(not ok for _, _, ok in items),
                     "p50_ms": round(statistics.median(times), 1), "p99_ms": round(percentile(times, 99), 1),
                     "max_ms": round(max(times), 1)})
    return rows, failures


def service_log_lines(workdir: Path) -> dict[str, dict[str, int]]:
    """Warning and error lines the processes logged (JSON, LOG_LEVEL=WARNING), per process."""
    counts = {}
    for log in sorted(workdir.glob("*-w*.log")):
        text = log.read_text(errors="replace")
        counts[log.stem] = {"errors": text.count('"level": "error"') + text.count("Traceback")
                            + text.count("[ERROR]") + text.count("[CRITICAL]"),  # gunicorn's own, e.g. a worker timeout
                            "warnings": text.count('"level": "warning"')}
    return counts


def per_minute(samples: list) -> list[dict]:
    """All endpoints together, minute by minute: does latency creep up as the data and the run grow?"""
    if not samples:
        return []
    first = min(s[0] for s in samples)
    minutes: dict[int, list[float]] = defaultdict(list)
    for at, _, ms, _, _ in samples:
        minutes[int((at - first) // 60)].append(ms)
    return [{"minute": m + 1, "requests": len(v), "p50_ms": round(statistics.median(v), 1),
             "p99_ms": round(percentile(v, 99), 1)} for m, v in sorted(minutes.items())]


def effects(system, leases: int) -> dict:
    """Every lease recorded (seed and load) became one guarantee contract and one support case."""
    from sqlalchemy import create_engine, text

    found = {}
    for service, table in (("contracts", "contracts"), ("support", "support_cases")):
        engine = create_engine(system.env[f"{service.upper()}_DATABASE_URL"])
        try:
            with engine.connect() as connection:
                found[table] = connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
        finally:
            engine.dispose()
    return {"leases": leases, **found, "complete": all(n == leases for n in found.values())}


def main() -> int:
    seconds = int(setting("SECONDS", "300"))
    rate = float(setting("RATE", "20"))
    run_every = float(setting("RUN_EVERY", "15"))
    warmup = float(setting("WARMUP", str(min(60.0, seconds * 0.2))))
    tolerance = float(setting("MEMORY_TOLERANCE", "0.10"))
    web_workers = int(setting("WEB_WORKERS", "2"))
    results_path = os.environ.get("SOAK_RESULTS", str(ROOT / "benchmarks" / "LOAD-RESULTS.md"))
    workdir = Path(tempfile.mkdtemp(prefix="wp-soak-"))
    mail = MailSink()
    system = System(workdir, web_workers=web_workers, extra_env={
        "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(mail.port), "MAIL_FROM": "wohnenplus@stuttgart.example"})
    report: dict = {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                    "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                               f"{round(os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30)} GB, "
                               f"Python {platform.python_version()}",
                    "settings": {"seconds": seconds, "rate_per_s": rate, "matching_run_every_s": run_every,
                                 "web_workers": web_workers, "warmup_s": warmup, "memory_tolerance": tolerance,
                                 "users": workload.users(rate)}}
    try:
        print(f"soak: starting the system in {workdir}", flush=True)
        system.start()
        started = time.monotonic()
        world = seeding.seed(system, households=int(setting("HOUSEHOLDS", "1000")), flats=int(setting("FLATS", "120")),
                             leases=int(setting("LEASES", "48")), caseworkers=8,
                             rng=__import__("random").Random(2026))
        report["seeded"] = world["seeded"] | {"seconds": round(time.monotonic() - started, 1)}
        print(f"soak: seeded {report['seeded']}", flush=True)
        report["before_load"] = drain.wait_drained(system, timeout=120)
        seed_file = workdir / "seed.json"
        seed_file.write_text(json.dumps(world))
        report["load_at_start"] = machine_load()
        sampler = memory.Sampler(system).start()
        print(f"soak: {rate:g} req/s for {seconds} s (+ a matching run every {run_every:g} s)", flush=True)
        load_started = time.monotonic()
        result = run_locust(workdir, seed_file, seconds, rate, run_every)
        load_seconds = time.monotonic() - load_started
        sampler.stop()
        report["load_at_end"] = machine_load()
        samples = result["samples"]
        report["steps"] = dict(sorted(result["steps"].items()))
        endpoints, failures = summarise(samples, seconds)
        offered = rate * seconds + seconds / run_every
        report["requests"] = {"sent": len(samples), "offered": round(offered), "achieved_per_s": round(len(samples) / seconds, 2),
                              "errors": len(failures), "locust_wall_s": round(load_seconds, 1)}
        report["endpoints"] = endpoints
        report["failures"] = sorted(set(failures))[:20]
        report["memory"] = sampler.verdict(warmup, tolerance)
        report["drain"] = drain.wait_drained(system, timeout=180)
        report["effects"] = effects(system, world["seeded"]["leases"] + result["steps"].get("leases", 0))
        report["minutes"] = per_minute(samples)
        report["mail_received"] = mail.handler.received
        report["service_log_lines"] = service_log_lines(workdir)
    except Exception:
        for log in sorted(workdir.glob("*.log")):
            lines = [line for line in log.read_text(errors="replace").splitlines() if "error" in line.lower()]
            if lines:
                print(f"--- {log.name}", *lines[-5:], sep="\n", file=sys.stderr)
        raise
    finally:
        system.shutdown()
        mail.stop()
        cleanup_retry_queues(system)
        shutil.rmtree(workdir, ignore_errors=True)

    checks = {
        "0 errors": report["requests"]["errors"] == 0,
        "rate sustained (>= 95 % of offered)": report["requests"]["sent"] >= 0.95 * offered,
        "memory flat": all(row["flat"] for row in report["memory"]),
        "queues and outboxes back to 0": report["drain"]["drained"],
        "every lease became one contract and one support case": report["effects"]["complete"],
        "no error in the services' logs": not any(c["errors"] for c in report["service_log_lines"].values()),
    }
    report["checks"] = checks
    report["passed"] = all(checks.values())
    print(json.dumps(report, indent=1, ensure_ascii=False))
    if results_path:
        Path(results_path).write_text(render(report))
        print(f"written: {results_path}")
    return 0 if report["passed"] else 1


def cleanup_retry_queues(system) -> None:
    """The system's own clean-up knows the default retry tiers only; remove the ones this run used."""
    from servicekit.bus.connection import close_quietly, connect

    try:
        connection = connect(system.settings.bus_url, "soak-cleanup")
    except Exception:
        return
    try:
        for queues in drain.queue_names(system).values():
            for queue in queues:
                try:
                    connection.channel().queue_delete(queue)
                except Exception:
                    pass
    finally:
        close_quietly(connection)


def table(rows: list[dict], columns: list[str]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(str(row[c]) for c in columns) + " |" for row in rows]
    return "\n".join(lines)


def render(r: dict) -> str:
    s = r["settings"]
    verdict = "PASSED" if r["passed"] else "FAILED"
    checks = "\n".join(f"- {'✔' if ok else '✘'} {name}" for name, ok in r["checks"].items())
    steps = ", ".join(f"{name}: {n}" for name, n in r["steps"].items())
    queues = ", ".join(f"{q} {n}" for q, n in r["drain"]["queues"].items())
    outbox = ", ".join(f"{q} {n}" for q, n in r["drain"]["outbox_pending"].items())
    return f"""# Load and soak results

- date: {r['date']}
- machine: {r['machine']}
- command: `make soak` (SOAK_SECONDS={s['seconds']} SOAK_RATE={s['rate_per_s']:g} SOAK_RUN_EVERY={s['matching_run_every_s']:g}),
  i.e. `.venv/bin/python benchmarks/load/soak.py`
- system: 8 processes as `make run` starts them (gunicorn sync × {s['web_workers']} per web), one PostgreSQL
  database per service, RabbitMQ, a local SMTP server; load generator locust (headless, same machine)
- machine load (1-min load average; other test processes running): at start {r['load_at_start']['loadavg_1m']}
  ({r['load_at_start']['other_pytest_processes']} pytest processes), at end {r['load_at_end']['loadavg_1m']}
  ({r['load_at_end']['other_pytest_processes']} pytest processes)

**{verdict}**

{checks}

## Seeded through the APIs

{", ".join(f"{k}: {v}" for k, v in r['seeded'].items())} (seconds: time to seed)

## Workload

{s['rate_per_s']:g} requests/s offered for {s['seconds']} s (companies 60 %, staff 20 %, caseworkers 20 %; locust
users {s['users']}, each at a constant throughput of at most {workload.MAX_PER_USER:g} requests/s) plus one matching
run every {s['matching_run_every_s']:g} s: {r['requests']['sent']} requests sent of {r['requests']['offered']}
offered ({r['requests']['achieved_per_s']} /s), **{r['requests']['errors']} errors**.

Business steps done during the load: {steps}. Emails delivered to the SMTP server (seed and load): {r['mail_received']}.

## Latency per endpoint (ms, measured by the load generator)

{table(r['endpoints'], ['endpoint', 'requests', 'per_s', 'errors', 'p50_ms', 'p99_ms', 'max_ms'])}

{"Failures: " + "; ".join(r['failures']) if r['failures'] else ""}

All endpoints together, minute by minute:

{table(r['minutes'], ['minute', 'requests', 'p50_ms', 'p99_ms'])}

## Memory (RSS, MB)

Start = just before the load; after warm-up = first sample at or after {s['warmup_s']:g} s; flat = end ≤ after
warm-up × {1 + s['memory_tolerance']:g} and the same pid throughout. Slope: least squares over the samples after
the warm-up (sampled every 5 s).

{table(r['memory'], ['process', 'start_mb', 'after_warmup_mb', 'middle_mb', 'end_mb', 'max_mb', 'growth_pct', 'slope_mb_per_min', 'flat'])}

## Queues and outboxes after the load

Drained: {r['drain']['drained']} after {r['drain']['seconds']} s. Queue depths: {queues}. Outbox rows not yet
published: {outbox}. Leases recorded (seed and load): {r['effects']['leases']}; guarantee contracts:
{r['effects']['contracts']}; support cases: {r['effects']['support_cases']}.

Warning and error lines in the services' logs: {json.dumps(r['service_log_lines'])}.
"""


if __name__ == "__main__":
    sys.exit(main())
