"""The whole system as real processes — gunicorn web and worker of each service — on its own
databases and broker prefix, for end-to-end tests.

Two ways to start it: one process per service command on PostgreSQL (each process can be killed and
restarted on its own, for the chaos tests), or `make_run=True`: exactly what `make run` starts — no
database URL at all, so every service on its default SQLite file, and the Procfile's processes
under honcho. Only the var directory, ports and broker prefix are the test's own."""

from __future__ import annotations

import dataclasses
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

from servicekit.auth import ensure_dev_keys, mint_token
from servicekit.service import discover
from servicekit.settings import Settings
from servicekit.testing.helpers import (
    create_postgres_database,
    delete_broker_names,
    drop_postgres_database,
    postgres_available,
)

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[1]


_HANDED_OUT: set[int] = set()


def free_port() -> int:
    """A port nobody listens on now, so that several test runs (and `make run`) can coexist — and
    never one this process handed out before: the kernel may offer the same free port twice in a row,
    and two services given one port pass every readiness check through whichever of them bound it."""
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port not in _HANDED_OUT:
            _HANDED_OUT.add(port)
            return port


class System:
    def __init__(self, workdir: Path, *, web_workers: int = 2, extra_env: dict[str, str] | None = None,
                 postgres_admin_url: str | None = None, bus_url: str | None = None, make_run: bool = False) -> None:
        """`postgres_admin_url` / `bus_url`: a PostgreSQL server and broker of the caller's own (the
        chaos run stops and restarts them) instead of the machine's shared ones."""
        self.make_run = make_run
        self.run_id = uuid.uuid4().hex[:8]
        self.workdir = workdir
        self.services = discover()
        self.var_dir = workdir / "var"
        self.prefix = f"e2e.{self.run_id}."
        self.databases: list[str] = []
        self.processes: dict[str, subprocess.Popen] = {}
        self.commands: dict[str, tuple[tuple[str, ...], dict[str, str] | None]] = {}
        self.postgres_admin_url = postgres_admin_url
        self.web_ports = {name: free_port() for name in self.services}
        self.metrics_ports = {name: free_port() for name in self.services}
        self.env = dict(os.environ)
        self.env.update(
            WOHNENPLUS_VAR=str(self.var_dir),
            BUS_PREFIX=self.prefix,
            BUS_RETRY_DELAYS_MS="200,500",
            WEB_CONCURRENCY=str(web_workers),
            PYTHONUNBUFFERED="1",
            LOG_LEVEL="WARNING",
        )
        self.env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        if bus_url:
            self.env["BUS_URL"] = bus_url
        self.env.update(extra_env or {})
        use_postgres = not make_run and (postgres_admin_url is not None or postgres_available())
        if make_run:  # whatever the caller's shell has, `make run` on a fresh machine has none of it
            for key in [k for k in self.env if k == "DATABASE_URL" or k.endswith("_DATABASE_URL")]:
                del self.env[key]
        for name, svc in self.services.items():
            key = name.upper()
            if make_run:
                pass
            elif use_postgres:
                db_name = f"wp_e2e_{name}_{self.run_id}"
                self.env[f"{key}_DATABASE_URL"] = self._create_database(db_name)
                self.databases.append(db_name)
            else:
                self.env[f"{key}_DATABASE_URL"] = f"sqlite:///{self.var_dir / name}.db"
            self.env[f"{key}_WEB_PORT"] = str(self.web_ports[name])
            self.env[f"{key}_WORKER_METRICS_PORT"] = str(self.metrics_ports[name])
        ensure_dev_keys(self.var_dir)
        self.settings = dataclasses.replace(
            Settings.from_env("e2e", 0, 0), var_dir=self.var_dir, bus_prefix=self.prefix,
            jwt_private_key_file=self.var_dir / "jwt" / "dev-private.pem",
            # the tiers the processes declare, so that shutdown deletes those retry queues too
            retry_delays_ms=tuple(int(ms) for ms in self.env["BUS_RETRY_DELAYS_MS"].split(",")),
        )
        if bus_url:
            self.settings = dataclasses.replace(self.settings, bus_url=bus_url)

    def _create_database(self, db_name: str) -> str:
        if self.postgres_admin_url is None:
            return create_postgres_database(db_name)
        engine = create_engine(self.postgres_admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{db_name}"'))
        engine.dispose()
        return self.postgres_admin_url.rsplit("/", 1)[0] + f"/{db_name}"

    def _drop_database(self, db_name: str) -> None:
        if self.postgres_admin_url is None:
            drop_postgres_database(db_name)
            return
        try:
            engine = create_engine(self.postgres_admin_url, isolation_level="AUTOCOMMIT",
                                   connect_args={"connect_timeout": 3})
            with engine.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
            engine.dispose()
        except Exception:  # the caller's own server may already be gone; it takes the data with it
            pass

    def database_url(self, service: str) -> str:
        return self.env.get(f"{service.upper()}_DATABASE_URL") or f"sqlite:///{self.var_dir / service}.db"

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.web_ports[service]}"

    def worker_metrics_url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.metrics_ports[service]}/metrics"

    def token(self, *roles: str, company_id: str | None = None, sub: str | None = None) -> dict[str, str]:
        token = mint_token(self.settings, sub=sub or f"e2e-{roles[0]}", roles=list(roles), company_id=company_id)
        return {"Authorization": f"Bearer {token}"}

    def spawn(self, name: str, *args: str, env: dict[str, str] | None = None,
              program: str = "wohnenplus") -> subprocess.Popen:
        log = open(self.workdir / f"{name}.log", "ab")
        process = subprocess.Popen([str(BIN / program), *args], env=env or self.env, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True, cwd=ROOT)
        self.processes[name] = process
        self.commands[name] = (args, env)
        return process

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Kill a process (and its children) the hard way, as a crashing machine would."""
        process = self.processes.pop(name)
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            pass
        process.wait(15)

    def restart(self, name: str) -> subprocess.Popen:
        """Start a process again with the command and environment it was last started with."""
        args, env = self.commands[name]
        if name in self.processes:
            self.stop(name)
        return self.spawn(name, *args, env=env)

    def start(self, timeout: float = 300.0) -> "System":
        if self.make_run:  # the Makefile's `migrate` target, then its `run` target
            for step in ("keys", "migrate"):
                subprocess.run([str(BIN / "wohnenplus"), step], env=self.env, check=True, capture_output=True, cwd=ROOT)
            self.spawn("honcho", "start", "-f", str(ROOT / "Procfile"), program="honcho")
        else:
            subprocess.run([str(BIN / "wohnenplus"), "migrate"], env=self.env, check=True, capture_output=True)
            for name in self.services:
                self.spawn(f"{name}-web", "web", name)
                self.spawn(f"{name}-worker", "worker", name)
        deadline = time.monotonic() + timeout
        for name in self.services:
            while True:
                try:
                    if requests.get(f"{self.url(name)}/readyz", timeout=2).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{name} not ready within {timeout}s; see {self.workdir}/{name}-web.log")
                time.sleep(0.2)
            # whoever answers on this port must be this service (a port taken by another process
            # would pass the readiness check in its place)
            answered = requests.get(f"{self.url(name)}/healthz", timeout=2).json().get("service")
            if answered != name:
                raise RuntimeError(f"{self.url(name)} answers as {answered!r}, not {name}; see {self.workdir}")
        return self

    def worker_with_clock(self, service: str, days_ahead: int) -> None:
        """Run the service's worker with its clock `days_ahead` days in the future. Separate processes:
        the worker is restarted so. Under honcho (which owns the Procfile's worker) a second worker
        with the moved clock runs beside it, as `make demo` does; it replaces the previous one."""
        env = {**self.env, "WOHNENPLUS_CLOCK_OFFSET_DAYS": str(days_ahead)}
        if not self.make_run:
            self.stop(f"{service}-worker")
            self.spawn(f"{service}-worker", "worker", service, env=env)
            return
        traveller = f"{service}-worker-ahead"
        if traveller in self.processes:
            self.stop(traveller)
        self.spawn(traveller, "worker", service, env={**env, f"{service.upper()}_WORKER_METRICS_PORT": str(free_port())})

    def stop(self, name: str) -> None:
        process = self.processes.pop(name)
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def shutdown(self) -> None:
        for name in list(self.processes):
            self.stop(name)
        for db_name in self.databases:
            self._drop_database(db_name)
        for name, svc in self.services.items():
            delete_broker_names(dataclasses.replace(self.settings, service=name))
