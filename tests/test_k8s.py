"""deploy/k8s renders offline (`kubectl kustomize`, kustomize built in) into what every service needs:
web and worker Deployments with probes, a Service, autoscalers, disruption budgets, a migration Job,
and references only to ConfigMaps it defines and to the documented Secrets."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from servicekit.service import discover
from test_deploy import _code_text

ROOT = Path(__file__).resolve().parents[1]
K8S = ROOT / "deploy" / "k8s"
kubectl = shutil.which("kubectl")
pytestmark = pytest.mark.skipif(not kubectl, reason="kubectl (with built-in kustomize) not installed")

DOCUMENTED_SECRETS = {"wohnenplus-bus", "notifications-smtp"} | {f"{n}-{s}" for n in discover()
                                                                   for s in ("database", "data-keys")}


def _render(path: Path) -> list[dict]:
    result = subprocess.run([kubectl, "kustomize", str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return [d for d in yaml.safe_load_all(result.stdout) if d]


@pytest.fixture(scope="module")
def rendered() -> dict[tuple[str, str], dict]:
    docs = _render(K8S)
    index = {(d["kind"], d["metadata"]["name"]): d for d in docs}
    assert len(index) == len(docs), "two objects with the same kind and name"
    assert all(d["metadata"].get("namespace") == "wohnenplus" for d in docs if d["kind"] != "Namespace")
    return index


def _container(obj: dict) -> dict:
    [container] = obj["spec"]["template"]["spec"]["containers"]
    return container


def _pods(rendered, selector: dict) -> list[str]:
    return [name for (kind, name), d in rendered.items() if kind == "Deployment"
            and selector.items() <= d["spec"]["template"]["metadata"]["labels"].items()]


@pytest.mark.parametrize("service", sorted(discover()))
def test_each_service_has_web_worker_service_autoscalers_budgets_and_a_migration_job(rendered, service):
    web, worker = rendered[("Deployment", f"{service}-web")], rendered[("Deployment", f"{service}-worker")]
    job = rendered[("Job", f"{service}-migrate")]
    for obj, command in ((web, "web"), (worker, "worker"), (job, "migrate")):
        container = _container(obj)
        assert container["image"].startswith(f"wohnenplus/{service}:")  # the image sets WOHNENPLUS_SERVICE
        assert f"exec wohnenplus {command} " in container["command"][-1]
        secrets = [e["secretRef"]["name"] for e in container.get("envFrom", []) if "secretRef" in e]
        assert {f"{service}-database", f"{service}-data-keys"} <= set(secrets) <= DOCUMENTED_SECRETS
        pod = obj["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"

    web_c, worker_c = _container(web), _container(worker)
    ports = {p["name"]: p["containerPort"] for p in web_c["ports"]}
    env = {e["name"]: e["value"] for e in web_c["env"]}
    assert str(ports["http"]) == env["WEB_PORT"]
    assert web_c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert web_c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    worker_ports = {p["name"]: p["containerPort"] for p in worker_c["ports"]}
    assert str(worker_ports["metrics"]) == {e["name"]: e["value"] for e in worker_c["env"]}["WORKER_METRICS_PORT"]
    assert worker_c["livenessProbe"]["httpGet"]["port"] == "metrics"
    # /metrics on a port of its own (issue 23, finding 8): scraped there, not on the API port
    assert str(ports["metrics"]) == env["METRICS_PORT"] != env["WEB_PORT"]
    for obj, port in ((web, ports["metrics"]), (worker, worker_ports["metrics"])):
        annotations = obj["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true" and annotations["prometheus.io/port"] == str(port)

    svc = rendered[("Service", f"{service}-web")]
    assert _pods(rendered, svc["spec"]["selector"]) == [f"{service}-web"]
    for process in ("web", "worker"):
        hpa = rendered[("HorizontalPodAutoscaler", f"{service}-{process}")]
        assert hpa["spec"]["scaleTargetRef"]["name"] == f"{service}-{process}"
        assert hpa["spec"]["minReplicas"] >= 2
        pdb = rendered[("PodDisruptionBudget", f"{service}-{process}")]
        assert _pods(rendered, pdb["spec"]["selector"]["matchLabels"]) == [f"{service}-{process}"]


def test_config_maps_referenced_exist_and_every_variable_is_read_by_the_code(rendered):
    code = _code_text()
    config_maps = {name for kind, name in rendered if kind == "ConfigMap"}
    names: set[str] = set()
    for (kind, _), obj in rendered.items():
        if kind in ("Deployment", "Job"):
            container = _container(obj)
            names |= {e["name"] for e in container.get("env", [])}
            for source in container.get("envFrom", []):
                if "configMapRef" in source:
                    ref = source["configMapRef"]["name"]
                    assert ref in config_maps, ref
                    names |= set(rendered[("ConfigMap", ref)]["data"])
    unread = [n for n in sorted(names) if not re.search(rf"""["'_]{n}["'/]""", code)]
    assert unread == [], f"set in deploy/k8s but read nowhere: {unread}"


def test_dependencies_render_three_rabbitmq_nodes_and_a_database_cluster_per_service():
    docs = {(d["kind"], d["metadata"]["name"]): d for d in _render(K8S / "dependencies")}
    assert docs[("RabbitmqCluster", "wohnenplus-rabbitmq")]["spec"]["replicas"] == 3
    for name in discover():
        cluster = docs[("Cluster", f"{name}-db")]["spec"]
        assert cluster["bootstrap"]["initdb"] == {"database": name, "owner": name}
        assert cluster["instances"] >= 2 and "barmanObjectStore" in cluster["backup"]
        assert docs[("ScheduledBackup", f"{name}-db-nightly")]["spec"]["cluster"]["name"] == f"{name}-db"


def test_manifests_match_the_kubernetes_schemas(rendered):
    """Strict schema validation (unknown fields are errors), offline, when the optional
    `kubernetes-validate` package is installed."""
    kubernetes_validate = pytest.importorskip("kubernetes_validate", reason="pip install kubernetes-validate")
    errors = []
    for (kind, name), obj in rendered.items():
        try:
            kubernetes_validate.validate(obj, "1.30.0", strict=True)
        except kubernetes_validate.ValidationError as exc:
            errors.append(f"{kind}/{name}: {exc.message}")
    assert errors == []


def test_the_migration_step_applies_everything_the_jobs_need(rendered):
    """README: `kubectl apply -k deploy/k8s -l 'app.kubernetes.io/component in (config,migrate)'` runs the
    migrations before the processes roll out, so it must select the Jobs and the ConfigMaps they read."""
    selected = {key for key, obj in rendered.items()
                if obj["metadata"].get("labels", {}).get("app.kubernetes.io/component") in ("config", "migrate")}
    jobs = [key for key in rendered if key[0] == "Job"]
    assert len(jobs) == len(discover()) and set(jobs) <= selected
    for key in jobs:
        for source in _container(rendered[key]).get("envFrom", []):
            if "configMapRef" in source:
                assert ("ConfigMap", source["configMapRef"]["name"]) in selected
    assert not any(kind in ("Deployment", "Service") for kind, _ in selected)


def _policies_for(rendered, labels: dict) -> list[dict]:
    return [d for (kind, _), d in rendered.items() if kind == "NetworkPolicy"
            and d["spec"]["podSelector"]["matchLabels"].items() <= labels.items()]


@pytest.mark.parametrize("service", sorted(discover()))
def test_metrics_ports_are_open_to_prometheus_only(rendered, service):
    """NetworkPolicy: a web pod's API port is open, its metrics port and the worker's only to
    Prometheus (namespace monitoring); nothing else reaches a worker (issue 23, finding 8)."""
    prometheus = [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}},
                   "podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}}}]
    for process, open_ports in (("web", {"http"}), ("worker", set())):
        pod = rendered[("Deployment", f"{service}-{process}")]["spec"]["template"]
        [policy] = _policies_for(rendered, pod["metadata"]["labels"])
        assert policy["spec"]["policyTypes"] == ["Ingress"]
        named = {p["name"] for p in _container(rendered[("Deployment", f"{service}-{process}")])["ports"]}
        for rule in policy["spec"]["ingress"]:
            ports = {p["port"] for p in rule["ports"]}
            assert ports <= named, f"{process}: policy names a port the pod does not have"
            if "from" not in rule:  # open to everyone: only the API port
                assert ports == open_ports == {"http"}
            else:
                assert rule["from"] == prometheus and ports == {"metrics"}
        assert any(r.get("from") == prometheus for r in policy["spec"]["ingress"])
