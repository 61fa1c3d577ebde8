"""The deployment files agree with the code: services, ports, commands and variables that exist, a
health-checked start order, images that hold everything a service needs. No Docker engine runs here:
the compose file is checked with the compose client, the images by building the same wheels."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from servicekit.service import discover

ROOT = Path(__file__).resolve().parents[1]
OUR_IMAGE = re.compile(r"^wohnenplus/(\w+)$")


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


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
        assert web["ports"] == [f"{svc.web_port}:{svc.web_port}"]
        assert worker["environment"]["WORKER_METRICS_PORT"] == str(svc.worker_metrics_port)
        db = compose[f"db-{name}"]["environment"]
        assert db["POSTGRES_USER"] == name and db["POSTGRES_DB"] == name
        url = f"postgresql://{name}:{db['POSTGRES_PASSWORD']}@db-{name}:5432/{name}"
        assert web["environment"]["DATABASE_URL"] == worker["environment"]["DATABASE_URL"] == \
            migrate["environment"]["DATABASE_URL"] == url
        passwords.add(db["POSTGRES_PASSWORD"])
    assert len(passwords) == len(discover()), "each database has its own credentials"
    assert set(_ours(_compose())) == {"keys"} | {f"{n}-{p}" for n in discover() for p in ("web", "worker", "migrate")}


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
        assert targets[f"{name}-web:{svc.web_port}"] == (f"{name}-web", {"service": name, "process": "web"})
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
