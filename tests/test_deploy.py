"""The deployment files agree with the code: services, ports, commands and variables that exist, a
health-checked start order, images that hold everything a service needs. No Docker engine runs here:
the compose file is checked with the compose client, the images by building the same wheels."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import yaml

from servicekit.service import discover
from servicekit.testing import wait_until

ROOT = Path(__file__).resolve().parents[1]
OUR_IMAGE = re.compile(r"^wohnenplus/(\w+)$")


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _defaults(value: str) -> str:
    """`${NAME:-default}` as compose reads it when NAME is not set."""
    return re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", value)


def _ours(compose: dict) -> dict[str, dict]:
    return {name: svc for name, svc in compose["services"].items() if OUR_IMAGE.match(svc.get("image", ""))}


def _code_text() -> str:
    files = [*ROOT.glob("libs/servicekit/servicekit/**/*.py"), *ROOT.glob("services/*/*/**/*.py")]
    return "\n".join(f.read_text() for f in files if "/tests/" not in str(f))


def test_compose_file_is_valid_for_docker_compose():
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        command = ["docker", "compose", "config", "--quiet"]
    elif shutil.which("docker-compose"):
        command = ["docker-compose", "config", "-q"]
    else:
        pytest.skip("no docker compose client installed")
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "name" not in _compose(), "a top-level name: breaks docker-compose 1.x"


def test_every_service_runs_web_worker_and_migrations_on_its_own_database():
    compose = _compose()["services"]
    passwords = set()
    for name, svc in discover().items():
        web, worker, migrate = compose[f"{name}-web"], compose[f"{name}-worker"], compose[f"{name}-migrate"]
        assert web["command"] == ["wohnenplus", "web", name]
        assert worker["command"] == ["wohnenplus", "worker", name]
        assert migrate["command"] == ["wohnenplus", "migrate", name]
        assert {web["image"], worker["image"], migrate["image"]} == {f"wohnenplus/{name}"}
        assert migrate["build"]["args"]["SERVICE"] == name
        assert web["environment"]["WEB_PORT"] == str(svc.web_port)
        assert [_defaults(p) for p in web["ports"]] == [f"0.0.0.0:{svc.web_port}:{svc.web_port}"]
        assert worker["environment"]["WORKER_METRICS_PORT"] == str(svc.worker_metrics_port)
        # /metrics on a port of its own, published nowhere (issue 23, finding 8)
        metrics_port = web["environment"]["METRICS_PORT"]
        assert metrics_port not in (str(svc.web_port), str(svc.worker_metrics_port))
        assert not any(metrics_port in p for p in web.get("ports") or [])
        assert "ports" not in worker
        db = compose[f"db-{name}"]["environment"]
        assert db["POSTGRES_USER"] == name and db["POSTGRES_DB"] == name
        url = f"postgresql://{name}:{db['POSTGRES_PASSWORD']}@db-{name}:5432/{name}"
        assert web["environment"]["DATABASE_URL"] == worker["environment"]["DATABASE_URL"] == \
            migrate["environment"]["DATABASE_URL"] == url
        passwords.add(db["POSTGRES_PASSWORD"])
    assert len(passwords) == len(discover()), "each database has its own credentials"
    assert set(_ours(_compose())) == {"keys"} | {f"{n}-{p}" for n in discover() for p in ("web", "worker", "migrate")}


def test_each_image_of_ours_is_built_once_and_never_pulled():
    built: dict[str, list[str]] = {}
    for name, svc in _ours(_compose()).items():
        if "build" in svc:
            built.setdefault(svc["image"], []).append(name)
            assert svc["pull_policy"] == "build", name
        else:
            assert svc["pull_policy"] == "never", f"{name} would try a registry for {svc['image']}"
    assert built == {f"wohnenplus/{n}": [f"{n}-migrate"] for n in discover()}


def test_third_party_images_and_host_ports_come_from_variables():
    """A mirror, a local stand-in or a free port is one variable away; the defaults are today's."""
    services = _compose()["services"]
    third_party = {name: svc["image"] for name, svc in services.items() if name not in _ours(_compose())}
    for name, image in third_party.items():
        assert re.fullmatch(r"\$\{[A-Z_]+_IMAGE:-[^}]+\}", image), f"{name}: image {image} is fixed"
    for name, svc in services.items():
        for port in svc.get("ports") or []:
            assert re.fullmatch(r"\$\{PUBLISH_ADDRESS:-0\.0\.0\.0\}:\$\{[A-Z_]+_HOST_PORT:-\d+\}:\d+", port), f"{name}: {port}"
    published = sorted(_defaults(p).split(":")[1] for svc in services.values() for p in svc.get("ports") or [])
    assert published == sorted(["5672", "15672", "8001", "8002", "8003", "8004", "8025", "1025", "9090", "3000"])
    for name in discover():
        assert _defaults(services[f"{name}-migrate"]["build"]["args"]["BASE_IMAGE"]) == "python:3.11-slim-bookworm"
    # The stand-ins are made for exactly these defaults: scripts/base-images.sh must list the same.
    listed = re.search(r"^UPSTREAM=\(([^)]*)\)", (ROOT / "scripts/base-images.sh").read_text(), re.M).group(1).split()
    defaults = {_defaults(i) for i in third_party.values()} - {_defaults(services["grafana"]["image"])}
    assert set(listed) == defaults | {"python:3.11-slim-bookworm"}
    assert services["grafana"]["profiles"] == ["grafana"], "Grafana (no stand-in) starts only when asked for"


def test_start_order_is_health_checked():
    services = _compose()["services"]
    for name, svc in services.items():
        for dependency, condition in (svc.get("depends_on") or {}).items():
            assert isinstance(condition, dict), f"{name} -> {dependency}: give a condition"
            if condition["condition"] == "service_healthy":
                assert "healthcheck" in services[dependency], f"{name} waits for {dependency}, which has no healthcheck"
    for name in discover():
        web_deps = services[f"{name}-web"]["depends_on"]
        assert web_deps[f"{name}-migrate"] == {"condition": "service_completed_successfully"}
        assert web_deps["rabbitmq"] == {"condition": "service_healthy"}
        assert services[f"{name}-worker"]["depends_on"][f"{name}-migrate"] == {"condition": "service_completed_successfully"}
        assert services[f"{name}-migrate"]["depends_on"] == {f"db-{name}": {"condition": "service_healthy"}}
        for process in ("web", "worker"):
            check = " ".join(services[f"{name}-{process}"]["healthcheck"]["test"])
            port = discover()[name].web_port if process == "web" else discover()[name].worker_metrics_port
            assert f"127.0.0.1:{port}/" in check
    assert services["grafana"]["depends_on"] == {"prometheus": {"condition": "service_healthy"}}
    assert "depends_on" not in services["prometheus"], "Prometheus must run while services are down"


def test_every_variable_set_for_our_processes_is_read_by_the_code():
    code = _code_text()
    compose = _compose()
    names = set()
    for svc in _ours(compose).values():
        names |= set(svc.get("environment") or {})
    assert names >= {"DATABASE_URL", "BUS_URL", "WEB_PORT", "WORKER_METRICS_PORT", "JWT_PUBLIC_KEY_FILE"}
    unread = [n for n in sorted(names) if not re.search(rf"""["'_]{n}["'/]""", code)]
    assert unread == [], f"set in docker-compose.yml but read nowhere: {unread}"


def test_mounted_files_and_build_contexts_exist():
    for name, svc in _compose()["services"].items():
        for volume in svc.get("volumes") or []:
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), f"{name} mounts missing {source}"
        build = svc.get("build")
        if build:
            assert (ROOT / build["context"] / build["dockerfile"]).is_file()
            assert (ROOT / "services" / build["args"]["SERVICE"]).is_dir()


def test_prometheus_scrapes_every_web_and_worker_process():
    config = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text())
    compose = _compose()["services"]
    targets = {}
    for job in config["scrape_configs"]:
        for static in job["static_configs"]:
            for target in static["targets"]:
                targets[target] = (job["job_name"], static["labels"])
                assert target.split(":")[0] in compose, f"{target}: no such compose service"
    for name, svc in discover().items():
        metrics_port = compose[f"{name}-web"]["environment"]["METRICS_PORT"]
        assert targets[f"{name}-web:{metrics_port}"] == (f"{name}-web", {"service": name, "process": "web"})
        assert targets[f"{name}-worker:{svc.worker_metrics_port}"] == (f"{name}-worker", {"service": name, "process": "worker"})
    assert "rabbitmq_prometheus" in (ROOT / "deploy/rabbitmq/enabled_plugins").read_text()


# --- the image -----------------------------------------------------------------------------------


def _stages(dockerfile: str) -> list[list[str]]:
    text = re.sub(r"\\\n", " ", dockerfile)
    stages: list[list[str]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            stages.append([])
        if stages:
            stages[-1].append(line)
    return stages


def test_dockerfile_is_multi_stage_small_and_non_root():
    dockerfile = (ROOT / "deploy/Dockerfile").read_text()
    build, runtime = _stages(dockerfile)
    assert any(line.startswith("COPY --from=build /opt/venv") for line in runtime)
    assert not any(line.startswith("COPY") and "--from" not in line for line in runtime), "no sources in the final image"
    users = [line.split()[1] for line in runtime if line.startswith("USER ")]
    assert users and users[-1].split(":")[0] not in ("0", "root")
    assert any(line.startswith("HEALTHCHECK") and "/healthz" in line and "WEB_PORT" in line for line in runtime)
    assert build[0] == "FROM ${BASE_IMAGE} AS build" and runtime[0] == "FROM ${BASE_IMAGE} AS runtime"
    for line in build:
        if line.startswith("COPY "):
            source = line.split()[1].replace("${SERVICE}", "matching")
            assert (ROOT / source).exists(), source
    ignore = (ROOT / "deploy/Dockerfile.dockerignore").read_text().split()
    assert {"**/.venv", "**/var", "**/tests", ".git"} <= set(ignore)


@pytest.mark.parametrize("package", ["libs/servicekit", *[f"services/{n}" for n in sorted(discover())]])
def test_the_image_gets_every_file_the_package_needs(package, tmp_path):
    """The image installs the packages (not editable): every data file (migrations, config, templates,
    fonts) must be in the wheel, or the container fails where `make run` works."""
    source = ROOT / package
    copy = tmp_path / "src"
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns("tests", "__pycache__", "*.egg-info", "build",
                                                                 "benchmarks", "*.pyc"))
    # setuptools' build_py is the step that decides what goes into the wheel pip builds in the image.
    result = subprocess.run([sys.executable, "-c", "from setuptools import setup; setup()", "-q", "build_py",
                             "--build-lib", str(tmp_path / "lib")], cwd=copy, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    inside = {str(f.relative_to(tmp_path / "lib")) for f in (tmp_path / "lib").rglob("*") if f.is_file()}
    [top] = [p for p in copy.iterdir() if p.is_dir() and (p / "__init__.py").exists()]
    # Everything but bytecode and notes for developers (*.md: READMEs of data folders).
    wanted = {str(f.relative_to(copy)) for f in top.rglob("*") if f.is_file() and f.suffix not in (".pyc", ".md")}
    assert len(wanted) > 5 and wanted - inside == set(), f"{package}: left out of the image: {sorted(wanted - inside)}"


def test_the_keys_job_leaves_the_public_key_readable_for_the_services_user(tmp_path):
    """`wohnenplus keys` creates its directory private to its (root) user; the web containers run as
    uid 10001 and read the public key from the shared volume, so the job must open exactly that."""
    keys = _compose()["services"]["keys"]
    assert keys["environment"]["WOHNENPLUS_VAR"] == "/keys" and keys["user"] == "0"
    command = [part.replace("/keys", str(tmp_path)) for part in keys["command"]]
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "WOHNENPLUS_VAR": str(tmp_path)}
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    mode = lambda p: p.stat().st_mode & 0o777  # noqa: E731
    assert mode(tmp_path / "jwt") & 0o005 == 0o005           # others may enter the directory
    assert mode(tmp_path / "jwt" / "dev-public.pem") & 0o004  # and read the public key
    assert mode(tmp_path / "jwt" / "dev-private.pem") & 0o077 == 0  # the private key stays private
    for process in ("web", "worker"):
        for name in discover():
            env = _compose()["services"][f"{name}-{process}"]["environment"]
            assert env["JWT_PUBLIC_KEY_FILE"] == "/keys/jwt/dev-public.pem"


# --- the running stack (`make compose-test`) -----------------------------------------------------
# Builds the four images, starts the whole compose file on free loopback ports and checks it as its
# operators would. Runs only when `make compose-test` asks for it (COMPOSE_TEST=1), which first makes
# sure an engine runs and the base images exist (DOCKER, COMPOSE and the *_IMAGE variables).

STACK = os.environ.get("COMPOSE_TEST") == "1"
PROJECT = os.environ.get("COMPOSE_TEST_PROJECT", "wohnenplus-compose-test")
HOST_PORTS = {"MATCHING_HOST_PORT": "matching", "CONTRACTS_HOST_PORT": "contracts", "SUPPORT_HOST_PORT": "support",
              "NOTIFICATIONS_HOST_PORT": "notifications", "RABBITMQ_HOST_PORT": "", "RABBITMQ_MANAGEMENT_HOST_PORT": "",
              "PROMETHEUS_HOST_PORT": "", "MAIL_UI_HOST_PORT": "", "MAIL_SMTP_HOST_PORT": ""}
stack_only = pytest.mark.skipif(not STACK, reason="runs in `make compose-test` (needs a container engine)")


class Stack:
    def __init__(self, workdir: Path) -> None:
        from system import free_port

        self.workdir = workdir
        self.docker = os.environ.get("DOCKER", "docker")
        self.compose_command = os.environ.get("COMPOSE", "docker compose").split()
        self.ports = {name: free_port() for name in HOST_PORTS}
        # One gunicorn worker per API: 2 cores run the whole stack here.
        self.env = {**os.environ, "PUBLISH_ADDRESS": "127.0.0.1", "WEB_CONCURRENCY": "1",
                    **{k: str(v) for k, v in self.ports.items()}}
        self.env.pop("COMPOSE_PROFILES", None)
        self.timings: dict[str, float] = {}

    def compose(self, *args: str, timeout: float = 600, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run([*self.compose_command, "-p", PROJECT, *args], cwd=ROOT, env=self.env,
                                capture_output=True, text=True, timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"docker compose {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
        return result

    def timed(self, what: str, *args: str, timeout: float = 900) -> None:
        started = time.monotonic()
        self.compose(*args, timeout=timeout)
        self.timings[what] = time.monotonic() - started
        print(f"compose-test: {what} took {self.timings[what]:.0f} s", file=sys.stderr)

    def url(self, service: str) -> str:
        variable = next(k for k, v in HOST_PORTS.items() if v == service)
        return f"http://127.0.0.1:{self.ports[variable]}"

    def container(self, service: str) -> str:
        return self.compose("ps", "-a", "-q", service).stdout.split()[0]

    def inspect(self, service: str, template: str) -> str:
        result = subprocess.run([self.docker, "inspect", "-f", template, self.container(service)],
                                capture_output=True, text=True, check=True)
        return result.stdout.strip()

    def leftovers(self) -> dict[str, list[str]]:
        label = f"label=com.docker.compose.project={PROJECT}"
        found = {}
        for kind, command in (("containers", ["ps", "-a", "-q"]), ("volumes", ["volume", "ls", "-q"]),
                              ("networks", ["network", "ls", "-q"])):
            result = subprocess.run([self.docker, *command, "--filter", label], capture_output=True, text=True, check=True)
            found[kind] = result.stdout.split()
        return found

    def logs(self) -> str:
        return self.compose("logs", "--no-color", "--tail", "40", timeout=120, check=False).stdout


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    running = Stack(tmp_path_factory.mktemp("stack"))
    running.compose("down", "-v", "--remove-orphans", timeout=300)  # what a crashed run left behind
    try:
        running.timed("build of the four images", "build")
        running.timed("up --wait", "up", "-d", "--wait", "--wait-timeout", "600", timeout=700)
    except BaseException:
        print(running.logs(), file=sys.stderr)
        running.compose("down", "-v", "--remove-orphans", timeout=300, check=False)
        raise
    yield running
    if running.leftovers()["containers"]:
        running.compose("down", "-v", "--remove-orphans", timeout=300, check=False)


def _ready(url: str) -> bool:
    try:
        return requests.get(f"{url}/readyz", timeout=10).status_code == 200
    except requests.RequestException:
        return False


@stack_only
def test_stack_every_service_is_ready_on_its_published_port(stack):
    for name in discover():
        assert _ready(stack.url(name)), f"{name}: /readyz on {stack.url(name)}"
        assert stack.inspect(f"{name}-web", "{{.State.Health.Status}}") == "healthy"
        assert stack.inspect(f"{name}-worker", "{{.State.Health.Status}}") == "healthy"


@stack_only
def test_stack_migrations_ran_as_one_shot_jobs(stack):
    for name in [*discover(), "keys"]:
        job = name if name == "keys" else f"{name}-migrate"
        assert stack.inspect(job, "{{.State.Status}} {{.State.ExitCode}}") == "exited 0", job
    for name in discover():
        version = stack.compose("exec", "-T", f"db-{name}", "psql", "-U", name, "-d", name, "-tAc",
                                "SELECT version_num FROM alembic_version").stdout.strip()
        assert version, f"{name}: no migration recorded"


@stack_only
def test_stack_services_run_as_the_unprivileged_user(stack):
    for name in discover():
        for process in ("web", "worker"):
            pid = stack.inspect(f"{name}-{process}", "{{.State.Pid}}")
            uids = next(line for line in Path(f"/proc/{pid}/status").read_text().splitlines() if line.startswith("Uid:"))
            assert uids.split()[1:] == ["10001"] * 4, f"{name}-{process}: {uids}"


@stack_only
def test_stack_migrations_run_as_kubernetes_runs_them(stack):
    """deploy/k8s runs the same image read-only, as uid 10001, with only /tmp writable
    (WOHNENPLUS_VAR=/tmp in the migrate Job): the migration command must work so too."""
    network = stack.inspect("db-matching", "{{range $name, $_ := .NetworkSettings.Networks}}{{$name}}{{end}}")
    for name in discover():
        env = {k: _defaults(str(v)) for k, v in _compose()["services"][f"{name}-migrate"]["environment"].items()}
        env["WOHNENPLUS_VAR"] = "/tmp"
        command = [stack.docker, "run", "--rm", "--read-only", "--tmpfs", "/tmp", "--user", "10001:10001",
                   "--cap-drop", "ALL", "--network", network, *(f"--env={k}={v}" for k, v in env.items()),
                   f"wohnenplus/{name}", "sh", "-c", 'exec wohnenplus migrate "$WOHNENPLUS_SERVICE"']
        result = subprocess.run(command, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, f"{name}: {result.stdout[-1500:]}{result.stderr[-1500:]}"


def _story(stack: Stack, private_key: Path) -> subprocess.Popen:
    env = {**os.environ, "JWT_PRIVATE_KEY_FILE": str(private_key), "PYTHONUNBUFFERED": "1",
           **{f"DEMO_{name.upper()}_URL": stack.url(name) for name in discover()}}
    return subprocess.Popen([sys.executable, str(ROOT / "scripts/demo.py"), "--no-time-travel"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@stack_only
def test_stack_the_story_survives_a_killed_worker_and_a_broker_restart(stack, tmp_path):
    """`make demo` against the containers; while it runs, the contracts worker dies (SIGKILL of its
    process, as a crash would: the restart policy must bring it back) and RabbitMQ restarts. The story
    waits for every event chain (contract drafted, case opened, inbox filled, payout notified)."""
    key = tmp_path / "dev-private.pem"
    subprocess.run([stack.docker, "cp", f"{stack.container('keys')}:/keys/jwt/dev-private.pem", str(key)], check=True)
    restarts_before = int(stack.inspect("contracts-worker", "{{.RestartCount}}"))
    story = _story(stack, key)
    output, faults = [], []
    deadline = time.monotonic() + 600
    for line in story.stdout:
        output.append(line)
        if line.startswith("2  ") and not faults:  # the matching run: the tenancy event is about to go out
            worker = stack.inspect("contracts-worker", "{{.State.Pid}}")
            os.kill(int(worker), signal.SIGKILL)
            faults.append("contracts worker killed")
        if line.startswith("3  ") and len(faults) == 1:  # contract drafted: case, appointments, inbox follow
            stack.compose("restart", "rabbitmq", timeout=300)
            faults.append("rabbitmq restarted")
        assert time.monotonic() < deadline, "the story took more than 10 minutes"
    story.wait(60)
    transcript = "".join(output)
    assert story.returncode == 0, transcript[-4000:]
    assert faults == ["contracts worker killed", "rabbitmq restarted"], transcript[-2000:]
    assert "Fertig / done" in transcript
    assert int(stack.inspect("contracts-worker", "{{.RestartCount}}")) > restarts_before
    # The mails of the story reached the catcher (notifications sent them over SMTP).
    mail_api = f"http://127.0.0.1:{stack.ports['MAIL_UI_HOST_PORT']}/api/v1/messages"
    wait_until(lambda: any(to["Address"] == "vermietung@neckar-wohnbau.example"
                           for m in requests.get(mail_api, timeout=10).json()["messages"] for to in m["To"]),
               timeout=120, interval=1, message="no mail to the company at the mail catcher")


@stack_only
def test_stack_prometheus_scrapes_every_target_and_loaded_the_alert_rules(stack):
    api = f"http://127.0.0.1:{stack.ports['PROMETHEUS_HOST_PORT']}/api/v1"

    def targets():
        active = requests.get(f"{api}/targets", timeout=10).json()["data"]["activeTargets"]
        return active if active and all(t["health"] == "up" for t in active) else None

    active = wait_until(targets, timeout=180, interval=2, message="not every Prometheus target is up")
    jobs = {t["labels"]["job"] for t in active}
    assert jobs == {f"{n}-{p}" for n in discover() for p in ("web", "worker")} | {"rabbitmq"}
    rules = requests.get(f"{api}/rules", timeout=10).json()["data"]["groups"]
    loaded = {rule["name"] for group in rules for rule in group["rules"] if rule["type"] == "alerting"}
    written = set(re.findall(r"^\s*- alert:\s*(\S+)", (ROOT / "deploy/prometheus/rules/wohnenplus.yml").read_text(), re.M))
    assert written and loaded == written


@stack_only
def test_stack_down_leaves_no_container_volume_or_network(stack):
    assert all(stack.leftovers().values())
    stack.timed("down -v", "down", "-v", "--remove-orphans", timeout=300)
    assert stack.leftovers() == {"containers": [], "volumes": [], "networks": []}
