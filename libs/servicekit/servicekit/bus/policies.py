"""Queue settings as RabbitMQ policies, which operators can change at run time without re-declaring
a queue (a queue argument can only be removed by deleting the queue, and it wins over a policy).

Per consuming service, each policy matching exactly one queue (`^name$`):

- `<service>.events`: dead-letter exchange and routing key (into `<service>.events.dlq`),
  `dead-letter-strategy: at-least-once` with `overflow: reject-publish` (quorum queues require it;
  RabbitMQ >= 3.10), and a `delivery-limit` far above the consumer's own attempt limit: the broker's
  count includes every prefetched message a killed worker returned, so it is only the backstop
  (servicekit.bus.consumer counts real handling attempts).
- `<service>.events.retry.<ms>ms`: the tier's `message-ttl`, dead-lettered at least once back into
  `<service>.events` through the default exchange.

Applied through the management plugin's HTTP API (`BUS_MANAGEMENT_URL`, default for a broker on the
standard port: the broker's host, port 15672, the credentials of BUS_URL) or, where that does not answer and the broker runs on this
machine, `rabbitmqctl set_policy`. The consumer applies its service's policies when it starts;
`wohnenplus bus policies` shows and applies them for all services; deploy/rabbitmq/definitions.json
ships the same set for operators.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from base64 import b64encode
from dataclasses import dataclass, field

from servicekit.settings import Settings

PRIORITY = 10
DELIVERY_LIMIT = 50  # the broker's backstop; the consumer gives up after BUS_MAX_ATTEMPTS real attempts
AT_LEAST_ONCE = {"dead-letter-strategy": "at-least-once", "overflow": "reject-publish"}


class PoliciesUnavailable(RuntimeError):
    """Neither the management API nor rabbitmqctl can reach the broker."""


@dataclass(frozen=True)
class Policy:
    name: str
    pattern: str
    definition: dict = field(hash=False)
    priority: int = PRIORITY
    apply_to: str = "queues"

    def as_json(self, vhost: str) -> dict:
        return {"vhost": vhost, "name": self.name, "pattern": self.pattern, "apply-to": self.apply_to,
                "definition": self.definition, "priority": self.priority}


def retry_queue(settings: Settings, delay_ms: int) -> str:
    return f"{settings.queue}.retry.{delay_ms}ms"


def for_service(settings: Settings) -> list[Policy]:
    queue = settings.queue
    policies = [Policy(queue, f"^{re.escape(queue)}$", {
        "delivery-limit": DELIVERY_LIMIT,
        "dead-letter-exchange": settings.dead_letter_exchange,
        "dead-letter-routing-key": queue,
        **AT_LEAST_ONCE,
    })]
    for delay in settings.retry_delays_ms:
        name = retry_queue(settings, delay)
        policies.append(Policy(name, f"^{re.escape(name)}$", {
            "message-ttl": delay,
            "dead-letter-exchange": "",
            "dead-letter-routing-key": queue,
            **AT_LEAST_ONCE,
        }))
    return policies


def vhost_of(settings: Settings) -> str:
    path = urllib.parse.urlparse(settings.bus_url).path
    return urllib.parse.unquote(path[1:]) if len(path) > 1 else "/"


class ManagementApi:
    """The management plugin's HTTP API: GET/PUT/DELETE /api/policies/{vhost}/{name}."""

    def __init__(self, url: str, timeout: float = 5.0) -> None:
        parts = urllib.parse.urlparse(url)
        self.base = f"{parts.scheme}://{parts.hostname}:{15672 if parts.port is None else parts.port}{parts.path.rstrip('/')}"
        user = urllib.parse.unquote(parts.username or "guest")
        password = urllib.parse.unquote(parts.password or "guest")
        self.auth = "Basic " + b64encode(f"{user}:{password}".encode()).decode()
        self.timeout = timeout
        self.where = f"management API {self.base}"

    @classmethod
    def for_settings(cls, settings: Settings) -> "ManagementApi":
        explicit = settings.get("BUS_MANAGEMENT_URL")
        if explicit:
            return cls(explicit)
        bus = urllib.parse.urlparse(settings.bus_url)
        credentials = f"{bus.username or 'guest'}:{bus.password or 'guest'}@"
        # 15672 belongs to a broker on the standard AMQP port; a broker on another port (a private
        # node, a tunnel) says where its API is, or it would be some other broker's API
        port = 15672 if (bus.port or 5672) == 5672 else 0
        return cls(f"http://{credentials}{bus.hostname or 'localhost'}:{port}")

    def _call(self, method: str, path: str, body: dict | None = None):
        request = urllib.request.Request(self.base + path, method=method,
                                         data=json.dumps(body).encode() if body is not None else None,
                                         headers={"Authorization": self.auth, "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            data = response.read()
        return json.loads(data) if data else None

    def answers(self) -> bool:
        if self.base.endswith(":0"):
            return False
        try:
            self._call("GET", "/api/overview")
            return True
        except (OSError, urllib.error.URLError, ValueError):
            return False

    def queue(self, vhost: str, name: str) -> dict:
        """The broker's view of one queue: messages_unacknowledged, effective_policy_definition, ..."""
        return self._call("GET", f"/api/queues/{urllib.parse.quote(vhost, safe='')}/{urllib.parse.quote(name, safe='')}")

    def list(self, vhost: str) -> list[dict]:
        return self._call("GET", f"/api/policies/{urllib.parse.quote(vhost, safe='')}") or []

    def put(self, vhost: str, policy: Policy) -> None:
        self._call("PUT", f"/api/policies/{urllib.parse.quote(vhost, safe='')}/{urllib.parse.quote(policy.name, safe='')}",
                   {"pattern": policy.pattern, "definition": policy.definition, "priority": policy.priority,
                    "apply-to": policy.apply_to})

    def delete(self, vhost: str, name: str) -> None:
        try:
            self._call("DELETE", f"/api/policies/{urllib.parse.quote(vhost, safe='')}/{urllib.parse.quote(name, safe='')}")
        except urllib.error.HTTPError as exc:
            if exc.code != 404:
                raise


class Rabbitmqctl:
    """`rabbitmqctl` of a broker on this machine (RABBITMQ_NODENAME chooses the node, as for
    rabbitmqctl itself). Each call starts an Erlang VM (≈ 1-2 s of CPU): the fallback only."""

    def __init__(self, executable: str) -> None:
        self.executable = executable
        self.where = "rabbitmqctl"

    @classmethod
    def for_settings(cls, settings: Settings) -> "Rabbitmqctl | None":
        bus = urllib.parse.urlparse(settings.bus_url)
        host = bus.hostname or "localhost"
        if (bus.port or 5672) != 5672 and "RABBITMQ_NODENAME" not in os.environ:
            return None  # rabbitmqctl would talk to the machine's default node, not to this broker
        executable = shutil.which("rabbitmqctl") or (
            "/usr/lib/rabbitmq/bin/rabbitmqctl" if os.path.exists("/usr/lib/rabbitmq/bin/rabbitmqctl") else None)
        if executable is None or host not in ("localhost", "127.0.0.1", "::1"):
            return None
        return cls(executable)

    def _run(self, *args: str) -> str:
        done = subprocess.run([self.executable, *args], capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise PoliciesUnavailable(f"rabbitmqctl {args[0]}: {(done.stderr or done.stdout).strip()[:300]}")
        return done.stdout

    def answers(self) -> bool:
        try:
            self._run("list_policies", "--quiet")
            return True
        except (PoliciesUnavailable, OSError, subprocess.TimeoutExpired):
            return False

    def list(self, vhost: str) -> list[dict]:
        out = self._run("list_policies", "-p", vhost, "--formatter", "json", "--quiet")
        rows = json.loads(out or "[]")
        for row in rows:
            if isinstance(row.get("definition"), str):
                row["definition"] = json.loads(row["definition"])
        return rows

    def put(self, vhost: str, policy: Policy) -> None:
        self._run("set_policy", "-p", vhost, "--priority", str(policy.priority), "--apply-to", policy.apply_to,
                  policy.name, policy.pattern, json.dumps(policy.definition))

    def delete(self, vhost: str, name: str) -> None:
        try:
            self._run("clear_policy", "-p", vhost, name)
        except PoliciesUnavailable as exc:
            if "not found" not in str(exc).lower():
                raise


def backend(settings: Settings):
    """The management API if it answers, else rabbitmqctl for a broker on this machine."""
    api = ManagementApi.for_settings(settings)
    if api.answers():
        return api
    ctl = Rabbitmqctl.for_settings(settings)
    if ctl is not None and ctl.answers():
        return ctl
    raise PoliciesUnavailable(f"neither the {api.where} nor rabbitmqctl answers: policies not applied")


def _same(current: dict | None, policy: Policy) -> bool:
    return (current is not None and current.get("pattern") == policy.pattern
            and current.get("definition") == policy.definition
            and int(current.get("priority", 0)) == policy.priority
            and current.get("apply-to") == policy.apply_to)


def apply(settings_list: list[Settings], via=None) -> list[tuple[str, str]]:
    """Set every policy of these services that is missing or differs; returns (name, what happened)."""
    done: list[tuple[str, str]] = []
    if not settings_list:
        return done
    via = via or backend(settings_list[0])
    by_vhost: dict[str, dict[str, dict]] = {}
    for settings in settings_list:
        vhost = vhost_of(settings)
        if vhost not in by_vhost:
            by_vhost[vhost] = {p["name"]: p for p in via.list(vhost)}
        for policy in for_service(settings):
            current = by_vhost[vhost].get(policy.name)
            if _same(current, policy):
                done.append((policy.name, "unchanged"))
                continue
            via.put(vhost, policy)
            done.append((policy.name, "set" if current is None else "updated"))
    return done


def remove(settings: Settings, via=None) -> None:
    """Delete this service's policies (test clean-up)."""
    via = via or backend(settings)
    for policy in for_service(settings):
        via.delete(vhost_of(settings), policy.name)


def current(settings: Settings, via=None) -> list[dict]:
    via = via or backend(settings)
    return via.list(vhost_of(settings))


def definitions(settings_list: list[Settings]) -> dict:
    """The policies in the format of RabbitMQ's definitions file (`load_definitions`)."""
    return {"policies": [p.as_json(vhost_of(s)) for s in settings_list for p in for_service(s)]}
