"""The four OpenAPI documents as a housing company's developer meets them: Spectral (`spectral:oas`)
and Redocly (`recommended`) report nothing, and every field a document calls required reaches every
role the operation admits.

The documents come from the apps themselves (scripts/openapi_documents.py, no server needed); the
linters are the pinned ones in tools/openapi-lint, installed by `make tools` (deploy/install-tools.sh)."""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from servicekit.privacy.views import PurposeBoundSchema
from servicekit.service import discover
from system import ROOT

LINT = ROOT / "tools" / "openapi-lint"
SERVICES = ("matching", "contracts", "support", "notifications")


@pytest.fixture(scope="module")
def documents(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("openapi")
    subprocess.run([sys.executable, str(ROOT / "scripts" / "openapi_documents.py"), str(out)],
                   check=True, capture_output=True, text=True, timeout=300)
    return {name: out / f"{name}.json" for name in SERVICES}


def _tool(name: str) -> Path:
    path = LINT / "node_modules" / ".bin" / name
    if not path.exists():
        if shutil.which("npm") is None:
            pytest.skip("no Node.js/npm on this machine: install it and run `make tools` for the OpenAPI linters")
        pytest.fail(f"{path} missing: `make tools` installs the pinned linters (tools/openapi-lint)")
    return path


# Neither linter phones home or prints an update notice in a test run.
QUIET = {**os.environ, "REDOCLY_TELEMETRY": "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true", "NO_UPDATE_NOTIFIER": "1"}


@pytest.mark.parametrize("service", SERVICES)
def test_spectral_reports_no_error_and_no_warning(documents, service, tmp_path):
    report = tmp_path / "spectral.json"
    subprocess.run([str(_tool("spectral")), "lint", "--ruleset", str(LINT / ".spectral.yaml"), "--format", "json",
                    "--output", str(report), "--fail-severity", "error", str(documents[service])],
                   cwd=LINT, env=QUIET, capture_output=True, text=True, timeout=300)
    findings = json.loads(report.read_text())
    # hints and infos count too: a generator's author reads them as well
    assert findings == [], "\n".join(f"{f['code']} {'.'.join(map(str, f['path']))}: {f['message']}" for f in findings)


@pytest.mark.parametrize("service", SERVICES)
def test_redocly_reports_no_error_and_no_warning(documents, service):
    done = subprocess.run([str(_tool("redocly")), "lint", "--config", str(LINT / "redocly.yaml"), "--format", "json",
                           str(documents[service])], cwd=LINT, env=QUIET, capture_output=True, text=True, timeout=300)
    report = json.loads(done.stdout[done.stdout.index("{"):])
    assert report["totals"] == {"errors": 0, "warnings": 0, "ignored": 0}, json.dumps(report["problems"], indent=1)[:4000]
    assert done.returncode == 0, done.stderr


def _refs(schema: dict) -> set[str]:
    """The component names a response schema uses, through items, anyOf and properties."""
    if not isinstance(schema, dict):
        return set()
    found = {schema["$ref"].rsplit("/", 1)[-1]} if "$ref" in schema else set()
    for value in schema.values():
        if isinstance(value, dict):
            found |= _refs(value)
        elif isinstance(value, list):
            for item in value:
                found |= _refs(item)
    return found


def _subclasses(cls: type) -> set[type]:
    return {sub for direct in cls.__subclasses__() for sub in {direct, *_subclasses(direct)}}


def test_every_required_field_reaches_every_admitted_role(documents):
    """A purpose-bound schema hands each role its subset of fields; the document calls required only
    what all its views' roles receive (servicekit.privacy.views). That holds only if each role an
    operation admits (`x-required-roles`) receives those fields: a role the views forget gets ids
    only, and its answers would break a generated client."""
    packages = {name: service.package for name, service in discover().items()}
    for package in packages.values():
        importlib.import_module(f"{package}.schemas")  # registers the schema classes by name
    bound: dict[tuple[str, str], list[type]] = {}
    for cls in _subclasses(PurposeBoundSchema):
        if cls.views is not None:
            bound.setdefault((cls.__module__.split(".")[0], cls.__name__), []).append(cls)
    checked = 0
    for service, path in documents.items():
        document = json.loads(path.read_text())
        components = document["components"]["schemas"]
        for route, item in document["paths"].items():
            for method, operation in item.items():
                if not isinstance(operation, dict) or "x-required-roles" not in operation:
                    continue
                names: set[str] = set()
                for status, response in operation["responses"].items():
                    if str(status).startswith("2"):
                        for content in response.get("content", {}).values():
                            names |= _refs(content.get("schema", {}))
                for _ in range(5):  # the schemas those schemas nest
                    names |= {ref for name in list(names) for ref in _refs(components.get(name, {}))}
                for name in names:
                    for cls in bound.get((packages[service], name), ()):
                        required = set(components[name].get("required", []))
                        for role in operation["x-required-roles"]:
                            allowed = cls.views.fields_for([role])
                            missing = set() if allowed is None else required - allowed
                            assert not missing, f"{service} {method.upper()} {route}: {role} is admitted but {name} withholds {sorted(missing)}"
                            checked += 1
    assert checked > 50  # the check found the purpose-bound schemas
