"""The faults of a chaos run: workers killed with SIGKILL and started again (a supervisor also
restarts the ones the relay's fault switch ended), the broker stopped and started, the database
restarted — while a probe keeps asking every web process and notes what it answers."""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import requests

from chaos.infra import PrivatePostgres, PrivateRabbit
from servicekit.bus.relay import FAULT_EXIT_CODE

# A list every service answers from its database, and the role allowed to read it.
PROBES = {"matching": "/api/v1/households?page_size=1", "contracts": "/api/v1/contracts?page_size=1",
          "support": "/api/v1/cases?page_size=1", "notifications": "/api/v1/notifications?page_size=1"}


@dataclass
class FaultLog:
    kills: Counter = field(default_factory=Counter)
    relay_crashes: Counter = field(default_factory=Counter)
    other_exits: list[str] = field(default_factory=list)
    restarts: int = 0
    broker_outage_s: float | None = None
    database_outage_s: float | None = None
    during_database_outage: Counter = field(default_factory=Counter)
    server_errors_during_outage: list[str] = field(default_factory=list)
    recovered_after_s: float | None = None
    events: list[str] = field(default_factory=list)
    startup_s: list[float] = field(default_factory=list)  # from (re)start until /metrics answered


class Faults:
    def __init__(self, system, rabbit: PrivateRabbit | None, postgres: PrivatePostgres | None, *,
                 kill_every: tuple[float, float] = (2.0, 6.0), seed: int | None = None) -> None:
        self.system = system
        self.rabbit = rabbit
        self.postgres = postgres
        self.kill_every = kill_every
        self.random = random.Random(seed)
        self.log = FaultLog()
        self.killing = threading.Event()
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.started = time.monotonic()
        self.workers = [f"{name}-worker" for name in system.services]
        self._ready_pid: dict[str, int] = {}
        self._spawned: dict[str, float] = {}
        self.thread = threading.Thread(target=self._supervise, name="chaos-supervisor", daemon=True)

    def note(self, text: str) -> None:
        self.log.events.append(f"{time.monotonic() - self.started:7.1f}s {text}")

    def supervise(self) -> "Faults":
        """Restart whatever ends from now on, kills or not: the relay's fault switch ends workers
        during the workload's setup already, and a worker nobody restarts stalls the run."""
        self.thread.start()
        return self

    def start(self) -> "Faults":
        """Begin killing (and supervise, if not yet)."""
        if not self.thread.is_alive():
            self.thread.start()
        self.killing.set()
        return self

    def quiet(self) -> None:
        """No more kills; the supervisor keeps restarting what ends (the relay switch may still fire)."""
        self.killing.clear()

    def shutdown(self) -> None:
        self.stop.set()
        self.thread.join(10)

    # -- workers --------------------------------------------------------------------------------

    def _supervise(self) -> None:
        next_kill = time.monotonic() + self.random.uniform(*self.kill_every)
        while not self.stop.is_set():
            with self.lock:
                for name in self.workers:
                    process = self.system.processes.get(name)
                    if process is None or process.poll() is None:
                        continue
                    code = process.returncode
                    if code == -signal.SIGKILL:
                        pass  # counted when sent
                    elif code == FAULT_EXIT_CODE:
                        self.log.relay_crashes[name] += 1
                    else:
                        self.log.other_exits.append(f"{name} exited {code}")
                        self.note(f"{name} exited with {code} by itself")
                    self.system.restart(name)
                    self._spawned[name] = time.monotonic()
                    self.log.restarts += 1
                for name in self.workers:
                    self._note_ready(name)
                if self.killing.is_set() and time.monotonic() >= next_kill:
                    name = self.random.choice(self.workers)
                    process = self.system.processes.get(name)
                    if process is not None and process.poll() is None and self._ready_pid.get(name) == process.pid:
                        try:
                            os.killpg(process.pid, signal.SIGKILL)
                            self.log.kills[name] += 1
                        except ProcessLookupError:
                            pass
                    next_kill = time.monotonic() + self.random.uniform(*self.kill_every)
            self.stop.wait(self.random.uniform(0.2, 1.0))  # a killed worker stays down a moment

    def startup_summary(self) -> str:
        times = sorted(self.log.startup_s)
        if not times:
            return "worker starts: none seen ready"
        return (f"worker starts until ready: {len(times)}, median {times[len(times) // 2]:.1f}s, "
                f"max {times[-1]:.1f}s")

    def _note_ready(self, name: str) -> None:
        """Note when this life of the worker has started (its /metrics port answers): only then may
        it be killed. A liveness probe begins once the startup probe passed; killing a worker that
        is still importing on a loaded node says nothing about the system, and can keep a job like
        a matching run from ever running, which no real node does."""
        process = self.system.processes.get(name)
        if process is None or process.poll() is not None or self._ready_pid.get(name) == process.pid:
            return
        try:
            requests.get(self.system.worker_metrics_url(name.removesuffix("-worker")), timeout=0.5).raise_for_status()
        except requests.RequestException:
            return
        self._ready_pid[name] = process.pid
        self.log.startup_s.append(time.monotonic() - self._spawned.get(name, self.started))

    # -- the broker -----------------------------------------------------------------------------

    def broker_outage(self, down_for: float = 3.0) -> None:
        if self.rabbit is None:
            return
        started = time.monotonic()
        self.note("broker: stopping")
        self.rabbit.stop()
        self.stop.wait(down_for)
        self.rabbit.start()
        self.log.broker_outage_s = time.monotonic() - started
        self.note(f"broker: back after {self.log.broker_outage_s:.1f}s")

    # -- the database ---------------------------------------------------------------------------

    def database_outage(self, down_for: float = 3.0) -> None:
        """Stop PostgreSQL (fast: connections are cut), keep it away a moment, start it; meanwhile
        and until every web answers 200 again, probe the web processes."""
        if self.postgres is None:
            return
        probing = threading.Event()
        probing.set()
        prober = threading.Thread(target=self._probe, args=(probing,), daemon=True)
        started = time.monotonic()
        self.note("database: stopping")
        self.postgres.stop("fast")
        prober.start()
        self.stop.wait(down_for)
        self.postgres.start()
        up = time.monotonic()
        self.log.database_outage_s = up - started
        self.note(f"database: back after {self.log.database_outage_s:.1f}s")
        deadline = up + 60
        while time.monotonic() < deadline and not self._all_answer():
            time.sleep(0.2)
        self.log.recovered_after_s = time.monotonic() - up
        probing.clear()
        prober.join(10)
        self.note(f"web: every service answers 200 again {self.log.recovered_after_s:.1f}s after the database")

    def _headers(self):
        return self.system.token("staff")

    def _all_answer(self) -> bool:
        headers = self._headers()
        try:
            return all(requests.get(self.system.url(s) + path, headers=headers, timeout=5).status_code == 200
                       for s, path in PROBES.items())
        except requests.RequestException:
            return False

    def _probe(self, probing: threading.Event) -> None:
        headers = self._headers()
        session = requests.Session()
        while probing.is_set():
            for service, path in PROBES.items():
                try:
                    response = session.get(self.system.url(service) + path, headers=headers, timeout=10)
                except requests.RequestException as exc:
                    self.log.during_database_outage[(service, type(exc).__name__)] += 1
                    continue
                status = response.status_code
                kind = response.headers.get("Content-Type", "")
                self.log.during_database_outage[(service, status)] += 1
                if status >= 500 and (status != 503 or kind != "application/problem+json"):
                    self.log.server_errors_during_outage.append(f"{service}: {status} {kind} {response.text[:200]}")
            time.sleep(0.05)
