"""Observability against the running system: promtool on the rules and on every /metrics, a real
Prometheus server scraping all eight processes with the committed scrape config and alert rules, and
the Grafana dashboard reading only metrics that exist.

promtool and prometheus come from Debian's `prometheus` package (`bash deploy/install-tools.sh`);
without them these tests are skipped and say so."""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import uuid
from pathlib import Path

import pika
import pytest
import requests
import yaml

from servicekit.bus.connection import close_quietly, connect
from servicekit.testing import wait_until

ROOT = Path(__file__).resolve().parents[1]
PROM = ROOT / "deploy" / "prometheus"
DASHBOARD = ROOT / "deploy" / "grafana" / "dashboards" / "wohnenplus.json"
SERVICES = ["matching", "contracts", "support", "notifications"]

# Metrics the rules and the dashboard read that a service has not exposed yet, with who will.
# Remove a name once it is exposed.
NOT_EXPOSED_YET: dict[str, str] = {}

# Business gauges that must be in Prometheus once the workers are scraped (they always have samples).
BUSINESS = [
    "contracts_contracts", "contracts_guarantee_exposure_cents", "contracts_claims", "contracts_payouts_cents",
    "support_cases", "support_cases_at_risk", "support_cases_awaiting_assignment", "support_crisis_deadlines",
    "support_appointments", "support_caseworkers_by_utilisation",
]

promtool = shutil.which("promtool")
prometheus = shutil.which("prometheus")
needs_promtool = pytest.mark.skipif(not promtool, reason="promtool missing: run `bash deploy/install-tools.sh`")
needs_prometheus = pytest.mark.skipif(not prometheus, reason="prometheus missing: run `bash deploy/install-tools.sh`")


def _targets(system) -> dict[str, str]:
    """job name -> 127.0.0.1 address of that process in the test system."""
    out = {}
    for name in SERVICES:
        out[f"{name}-web"] = system.url(name).removeprefix("http://")
        out[f"{name}-worker"] = system.worker_metrics_url(name).removeprefix("http://").removesuffix("/metrics")
    return out


# --- the rules on their own --------------------------------------------------------------------


@needs_promtool
def test_promtool_accepts_the_config_and_rules():
    result = subprocess.run([promtool, "check", "config", str(PROM / "prometheus.yml")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    rules = sorted((PROM / "rules").glob("*.yml"))
    result = subprocess.run([promtool, "check", "rules", *map(str, rules)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@needs_promtool
def test_alert_unit_tests_pass():
    tests = sorted((PROM / "tests").glob("*.yml"))
    assert tests
    result = subprocess.run([promtool, "test", "rules", *map(str, tests)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_a_unit_test_a_severity_and_a_runbook():
    alerts = {r["alert"]: r for g in yaml.safe_load((PROM / "rules" / "wohnenplus.yml").read_text())["groups"]
              for r in g["rules"] if "alert" in r}
    tested = {a["alertname"] for f in (PROM / "tests").glob("*.yml")
              for t in yaml.safe_load(f.read_text())["tests"] for a in t.get("alert_rule_test", [])
              if a.get("exp_alerts")}
    assert set(alerts) - tested == set(), "alerts that no unit test sees firing"
    for name, rule in alerts.items():
        assert rule["labels"]["severity"] in ("warning", "critical"), name
        assert len(rule["annotations"]["runbook"]) > 60 and rule["annotations"]["summary"], name
    readme = (ROOT / "README.md").read_text()
    assert [a for a in alerts if f"`{a}`" not in readme] == [], "alerts the README's Operations section does not explain"


# --- /metrics of every process -----------------------------------------------------------------


# promtool lint findings a service owner has been told about; any other finding fails the test.
# matching (issue 3): a histogram in days; Prometheus wants base units (…_seconds).
KNOWN_LINT: dict[str, str] = {}


@needs_promtool
@pytest.mark.parametrize("process", [f"{s}-{p}" for s in SERVICES for p in ("web", "worker")])
def test_promtool_check_metrics_is_clean(system, process):
    text = requests.get(f"http://{_targets(system)[process]}/metrics", timeout=10).text
    assert "# TYPE" in text
    result = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True)
    findings = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    unknown = [line for line in findings
               if not any(line.startswith(name) and lint in line for name, lint in KNOWN_LINT.items())]
    assert unknown == [], unknown
    assert result.returncode == 0 or findings, result  # a failure always says why


# --- a real Prometheus server ------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def prom(system, tmp_path_factory):
    """Prometheus with the committed scrape config, its targets moved to the test system's ports."""
    workdir = tmp_path_factory.mktemp("prometheus")
    config = yaml.safe_load((PROM / "prometheus.yml").read_text())
    config["global"] = {"scrape_interval": "1s", "evaluation_interval": "1s", "scrape_timeout": "1s"}
    config["rule_files"] = [str(PROM / rule) for rule in config["rule_files"]]
    addresses = _targets(system)
    jobs = []
    for job in config["scrape_configs"]:
        if job["job_name"] in addresses:  # the broker's own endpoint is not part of the test system
            for static in job["static_configs"]:
                static["targets"] = [addresses[job["job_name"]]]
            jobs.append(job)
    assert {j["job_name"] for j in jobs} == set(addresses), "scrape config misses a process"
    config["scrape_configs"] = jobs
    (workdir / "prometheus.yml").write_text(yaml.safe_dump(config))
    port = _free_port()
    log = open(workdir / "prometheus.log", "wb")
    process = subprocess.Popen(
        [prometheus, f"--config.file={workdir / 'prometheus.yml'}", f"--storage.tsdb.path={workdir / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}", "--storage.tsdb.retention.time=1h"],
        stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        def ready():
            assert process.poll() is None, (workdir / "prometheus.log").read_text()[-2000:]
            try:
                return requests.get(f"{base}/-/ready", timeout=1).status_code == 200
            except requests.RequestException:
                return False

        wait_until(ready, timeout=30)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def _query(base: str, expr: str) -> list[dict]:
    answer = requests.get(f"{base}/api/v1/query", params={"query": expr}, timeout=5).json()
    assert answer["status"] == "success", answer
    return answer["data"]["result"]


@needs_prometheus
def test_prometheus_scrapes_every_process_and_sees_the_business_metrics(system, prom):
    def all_up():
        up = {r["metric"]["job"]: r["value"][1] for r in _query(prom, "up")}
        return up if len(up) == 8 and set(up.values()) == {"1"} else None

    up = wait_until(all_up, timeout=30, message="not every target is up")
    assert set(up) == {f"{s}-{p}" for s in SERVICES for p in ("web", "worker")}

    def present():
        missing = [m for m in BUSINESS if not _query(prom, m)]
        return missing == [] or None

    wait_until(present, timeout=20, message="business metrics missing in Prometheus")
    # Matching's gauges have samples once there is something to count: refer a household.
    referral = {"referral_no": f"AS-PROM-{uuid.uuid4().hex[:6]}", "adults": 1, "children": 0,
                "urgency": "threatened_homelessness", "name": "Prometheus Test"}
    created = requests.post(f"{system.url('matching')}/api/v1/households", json=referral,
                            headers=system.token("staff"), timeout=5)
    assert created.status_code == 201, created.text
    wait_until(lambda: _query(prom, 'matching_households_waiting{urgency="threatened_homelessness"}') or None,
               timeout=20, message="matching_households_waiting not in Prometheus")
    # The plumbing every alert reads, per service: outbox age, queue depths (incl. the DLQ), connection.
    for metric in ("outbox_oldest_pending_age_seconds", 'bus_queue_messages{queue="dlq"}', "bus_connected"):
        def by_service():
            return {r["metric"]["service"] for r in _query(prom, metric)} == set(SERVICES) or None

        wait_until(by_service, timeout=20, message=f"{metric} not there for every service")
    # The request counters carry the service label once (honor_labels: no exported_service duplicate).
    series = _query(prom, 'http_requests_total{job="contracts-web"}')
    assert series and all(s["metric"]["service"] == "contracts" and "exported_service" not in s["metric"]
                          for s in series)


@needs_prometheus
def test_the_rules_load_and_evaluate_in_a_real_server(prom):
    def evaluated():
        groups = requests.get(f"{prom}/api/v1/rules", timeout=5).json()["data"]["groups"]
        rules = [r for g in groups for r in g["rules"]]
        return rules if rules and all(r.get("lastEvaluation", "").startswith("20") and
                                      not r["lastEvaluation"].startswith("0001") for r in rules) else None

    rules = wait_until(evaluated, timeout=20)
    local = [r["alert"] for g in yaml.safe_load((PROM / "rules" / "wohnenplus.yml").read_text())["groups"]
             for r in g["rules"]]
    assert sorted(r["name"] for r in rules) == sorted(local)
    assert [(r["name"], r.get("lastError")) for r in rules if r["health"] != "ok"] == []


@needs_prometheus
def test_a_poison_event_raises_the_dead_letter_alert(system, prom):
    """An invalid event goes straight to support's DLQ; the worker's queue gauge shows it and the
    DeadLettersWaiting alert becomes pending in the real Prometheus."""
    settings = system.settings
    queue = f"{settings.bus_prefix}support.events"
    connection = connect(settings.bus_url, "test-observability")
    channel = connection.channel()
    try:
        channel.basic_publish("", queue, b"{not an event", pika.BasicProperties(
            delivery_mode=2, message_id=str(uuid.uuid4()), type="contracts.incident.reported"))

        def alert():
            found = _query(prom, 'ALERTS{alertname="DeadLettersWaiting", service="support"}')
            return found or None

        [series] = wait_until(alert, timeout=45, message="DeadLettersWaiting did not go pending")
        assert series["metric"]["severity"] == "warning"
        assert series["metric"]["alertstate"] in ("pending", "firing")
    finally:
        channel.queue_purge(f"{queue}.dlq")  # leave the system as we found it
        close_quietly(connection)


@needs_prometheus
def test_every_dashboard_query_runs_in_the_real_server(prom):
    """Parse and execute each panel's PromQL (with $service = all) against the scraped system: no
    syntax errors, no many-to-many matches, and the service-level panels have data."""
    dashboard = json.loads(DASHBOARD.read_text())
    failures = []
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            expr = target["expr"].replace("$service", ".*")
            answer = requests.get(f"{prom}/api/v1/query", params={"query": expr}, timeout=5).json()
            if answer["status"] != "success":
                failures.append((panel["title"], answer.get("error")))
    assert failures == []
    assert _query(prom, 'up{service=~".*"}')  # the variable's "All" value selects the targets


# --- the dashboard -------------------------------------------------------------------------------

_NOT_METRICS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "offset", "bool",
    "sum", "avg", "min", "max", "count", "rate", "increase", "delta", "deriv", "histogram_quantile",
    "inf", "nan", "le",
}


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads (good enough for ours: no functions are mistaken)."""
    expr = re.sub(r'"[^"]*"', "", expr)
    expr = re.sub(r"\{[^}]*\}", "", expr)
    expr = re.sub(r"\[[^\]]*\]", "", expr)
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    expr = re.sub(r"\boffset\s+\w+", "", expr)
    names = set(re.findall(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()", expr))
    return {n for n in names if n.lower() not in _NOT_METRICS and not re.fullmatch(r"\d.*", n)}


def test_metric_names_are_found_in_promql():
    assert metric_names('sum by (service, le) (rate(http_request_duration_seconds_bucket{route!~"/m"}[5m])) > 1') \
        == {"http_request_duration_seconds_bucket"}
    assert metric_names('a{status="x"} - (a{status="x"} offset 1h) > 0 and b / ignoring(s) c') == {"a", "b", "c"}


def test_dashboard_is_built_from_its_source():
    result = subprocess.run(["python3", str(ROOT / "deploy/grafana/build_dashboard.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    dashboard = json.loads(DASHBOARD.read_text())
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    titles = " ".join(p["title"] for p in dashboard["panels"])
    for must in ("Requests per second", "5xx ratio", "p99 latency", "Events published", "Dead-lettered",
                 "Outbox", "Households waiting", "Flats on offer", "Active guarantees", "exposure",
                 "Claims", "Caseload", "Crisis", "Notifications"):
        assert must in titles, must


def _exposed_names(system) -> set[str]:
    names: set[str] = set()
    for address in _targets(system).values():
        for line in requests.get(f"http://{address}/metrics", timeout=10).text.splitlines():
            match = re.match(r"# TYPE (\S+) (\w+)", line)
            if match:
                name, kind = match.groups()
                names.add(name)
                if kind == "histogram":
                    names |= {f"{name}_bucket", f"{name}_count", f"{name}_sum"}
    return names | {"up", "ALERTS"}


def test_rules_and_dashboard_read_only_metrics_that_exist(system):
    exposed = _exposed_names(system)
    rules = yaml.safe_load((PROM / "rules" / "wohnenplus.yml").read_text())
    exprs = [r["expr"] for g in rules["groups"] for r in g["rules"]]
    dashboard = json.loads(DASHBOARD.read_text())
    exprs += [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    exprs += [a["expr"] for a in dashboard["annotations"]["list"]]
    read = set().union(*(metric_names(e) for e in exprs))
    unknown = read - exposed - set(NOT_EXPOSED_YET)
    assert unknown == set(), f"metrics no process exposes: {sorted(unknown)}"
    assert all(name.startswith("matching_") for name in NOT_EXPOSED_YET)
