"""A RabbitMQ node and a PostgreSQL cluster owned by one chaos run, so that stopping them hurts
nobody else: the machine's shared broker (5672) and database (5432) are never touched."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from glob import glob
from pathlib import Path

import pika
from sqlalchemy import create_engine, text


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _alive(pid: int) -> bool:
    """Running, not a zombie (a detached node's parent is whatever reaps orphans here, if anything)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


class CpuHogs:
    """Busy processes beside the system, `per_core` for each core: a node whose pods compete for
    CPU, where workers are slow, liveness probes kill them and prefetched messages come back often."""

    def __init__(self, per_core: int) -> None:
        self.count = per_core * (os.cpu_count() or 1)
        self.processes: list[subprocess.Popen] = []

    def start(self) -> None:
        import sys

        for _ in range(self.count):
            self.processes.append(subprocess.Popen([sys.executable, "-c", "while True: pass"]))

    def stop(self) -> None:
        for process in self.processes:
            process.kill()
        for process in self.processes:
            process.wait(10)
        self.processes.clear()


def _wait(check, timeout: float, what: str, given_up=lambda: False, log=lambda: "") -> float | None:
    """Seconds until `check()` holds; None as soon as `given_up()` says it never will."""
    started = time.monotonic()
    while True:
        try:
            if check():
                return time.monotonic() - started
        except Exception:
            pass
        if given_up():
            return None
        if time.monotonic() - started > timeout:
            raise RuntimeError(f"{what} not up within {timeout}s; {log()}"[:2000])
        time.sleep(0.1)


class PrivateRabbit:
    """`rabbitmq-server -detached` as a node of its own: own name, ports, data and log directories,
    its own Erlang cookie in its HOME, and the management plugin on a free port of its own (the kit
    sets its queue policies through it: BUS_MANAGEMENT_URL = `management_url`)."""

    SBIN = Path("/usr/lib/rabbitmq/bin")

    def __init__(self, base: Path | None = None) -> None:
        self.base = Path(base or tempfile.mkdtemp(prefix="chaos-rabbit-"))
        self.node = f"chaos-{uuid.uuid4().hex[:8]}@localhost"
        self.port = free_port()
        self.management_port = free_port()
        (self.base / "enabled_plugins").write_text("[rabbitmq_management].\n")
        (self.base / "rabbitmq.conf").write_text(
            f"loopback_users = none\nmanagement.tcp.port = {self.management_port}\n"
            "management.tcp.ip = 127.0.0.1\n")
        (self.base / "rabbitmq-env.conf").write_text("")
        self.env = {
            **os.environ,
            "HOME": str(self.base),
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(free_port()),
            "RABBITMQ_MNESIA_BASE": str(self.base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.base / "log"),
            "RABBITMQ_CONFIG_FILE": str(self.base / "rabbitmq.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.base / "enabled_plugins"),
            "RABBITMQ_CONF_ENV_FILE": str(self.base / "rabbitmq-env.conf"),
            "RABBITMQ_PID_FILE": str(self.base / "pid"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(self.base / "advanced.config"),
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
            "ERL_EPMD_ADDRESS": "127.0.0.1",
        }
        self.url = f"amqp://guest:guest@127.0.0.1:{self.port}/%2F"
        self.management_url = f"http://guest:guest@127.0.0.1:{self.management_port}"

    @staticmethod
    def available() -> bool:
        return (PrivateRabbit.SBIN / "rabbitmq-server").exists()

    def _ctl(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run([str(self.SBIN / "rabbitmqctl"), "-n", self.node, *args], env=self.env,
                              capture_output=True, text=True, timeout=timeout)

    def _answers(self) -> bool:
        connection = pika.BlockingConnection(pika.URLParameters(self.url + "?connection_attempts=1&socket_timeout=2"))
        connection.close()
        return True

    def start(self, timeout: float = 180) -> float:
        """Start (or start again, keeping its data); returns the seconds until it accepted a connection
        (over a minute on a machine under load: the node boots its quorum queues first)."""
        started = time.monotonic()
        for _launch in range(3):
            launched = time.monotonic()
            subprocess.run([str(self.SBIN / "rabbitmq-server"), "-detached"], env=self.env, check=True,
                           capture_output=True, timeout=30)
            # a node that ends while it boots (seen on a loaded machine, right after a stop) is
            # launched again instead of waited for until the timeout
            up = _wait(self._answers, timeout, f"RabbitMQ node {self.node}",
                       given_up=lambda: time.monotonic() - launched > 60 and not self._running(),
                       log=self._log_tail)
            if up is not None:
                break
        else:
            raise RuntimeError(f"RabbitMQ node {self.node} ended three times while booting: {self._log_tail()}")
        _wait(self._management_answers, timeout, f"management API of {self.node}")
        return time.monotonic() - started

    def _running(self) -> bool:
        try:
            return _alive(int((self.base / "pid").read_text().strip()))
        except (OSError, ValueError):
            return False

    def _log_tail(self) -> str:
        logs = sorted((self.base / "log").glob("*.log"))
        return logs[-1].read_text(errors="replace")[-1500:] if logs else "(no log)"

    def _management_answers(self) -> bool:
        import urllib.request
        from base64 import b64encode

        request = urllib.request.Request(f"http://127.0.0.1:{self.management_port}/api/overview",
                                         headers={"Authorization": "Basic " + b64encode(b"guest:guest").decode()})
        with urllib.request.urlopen(request, timeout=2) as response:
            return response.status == 200

    def stop(self, timeout: float = 90) -> float:
        """SIGTERM to the node (RabbitMQ shuts down cleanly on it), then wait for it to end: no
        `rabbitmqctl stop`, whose own Erlang VM took over a minute to start on a loaded machine."""
        started = time.monotonic()
        try:
            pid = int((self.base / "pid").read_text().strip())
        except (OSError, ValueError):
            return 0.0
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return 0.0
        while time.monotonic() - started < timeout:
            if not _alive(pid):
                return time.monotonic() - started
            time.sleep(0.1)
        os.kill(pid, signal.SIGKILL)  # quorum queues keep what they confirmed even so
        return time.monotonic() - started

    def teardown(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.base, ignore_errors=True)


class PrivatePostgres:
    """A throw-away cluster (`initdb` + `pg_ctl`, trust auth, fsync off) on a free port. As root,
    the server runs as the `postgres` user, which PostgreSQL insists on."""

    def __init__(self) -> None:
        bins = sorted(glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if not bins:
            raise RuntimeError("no PostgreSQL server binaries found")
        self.bin = Path(bins[-1]).parent
        self.base = Path(tempfile.mkdtemp(prefix="chaos-postgres-"))
        self.data = self.base / "data"
        self.port = free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.base, user.pw_uid, user.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self.admin_url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    @staticmethod
    def available() -> bool:
        return bool(glob("/usr/lib/postgresql/*/bin/pg_ctl"))

    def _run(self, *args: str, timeout: float = 60) -> None:
        subprocess.run([*self.as_user, *args], check=True, capture_output=True, timeout=timeout, cwd=self.base)

    def _answers(self) -> bool:
        engine = create_engine(self.admin_url, connect_args={"connect_timeout": 2})
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        finally:
            engine.dispose()
        return True

    def init(self) -> None:
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync",
                  "-E", "UTF8")

    def start(self, timeout: float = 60) -> float:
        started = time.monotonic()
        options = (f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off "
                   f"-c max_connections=300 -c synchronous_commit=off")
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.base / "log"),
                  "-w", "start", timeout=timeout)
        _wait(self._answers, timeout, "PostgreSQL")
        return time.monotonic() - started

    def stop(self, mode: str = "fast") -> float:
        started = time.monotonic()
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")
        return time.monotonic() - started

    def teardown(self) -> None:
        try:
            self.stop("immediate")
        except Exception:
            pass
        shutil.rmtree(self.base, ignore_errors=True)
