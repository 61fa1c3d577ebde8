"""Schemathesis over the four OpenAPI documents, once per role, against a system of its own.

Each (service, role) pair is one `schemathesis run` of the served /openapi.json with that role's
bearer token and Schemathesis' default checks and phases (examples, coverage, fuzzing, stateful).
The system is separate from the other end-to-end tests' (the fuzzer writes thousands of random
objects) and runs with rate limits off and local webhook URLs allowed (see schemathesis_hooks.py).

What fails the test: a server error (ST101) or any answer that does not conform to the document
(ST1xx: undocumented status or content type, body or header against its schema), and any
authentication or authorization failure Schemathesis finds (ST4xx: an operation that ignores the
token, one object's data under another's id). Findings about how strictly input is validated
(ST2xx: schema-valid input refused by a business rule the schema does not state, or schema-invalid
input accepted) and resource lifecycles (ST3xx) are printed per operation for the services to
document, and fail only with FUZZ_STRICT=1.

`make test` runs a bounded pass: FUZZ_EXAMPLES (default 3) per operation, a fixed seed, and each role
only over the operations its `x-required-roles` admit it to (that any input from the other roles is
refused is the role matrix's job, test_bola.py). `make fuzz` runs the full one: every role over every
operation, more examples, a new seed each time, strict. A failure prints how to replay it.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import requests

from conftest import ROLES, SERVICES, Api, _company, _contract_claim_incident
from system import BIN, System

HERE = Path(__file__).parent
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))
SEED = os.environ.get("FUZZ_SEED", "20261125")
PARALLEL = int(os.environ.get("FUZZ_PARALLEL", "2"))
STRICT = os.environ.get("FUZZ_STRICT", "") == "1"
EVERY_OPERATION = os.environ.get("FUZZ_EVERY_OPERATION", "") == "1"


def _must_not_fail(code: str) -> bool:
    return code.startswith(("ST1", "ST4")) or (STRICT and code.startswith(("ST2", "ST3")))


@pytest.fixture(scope="module")
def fuzz_system(tmp_path_factory):
    system = System(tmp_path_factory.mktemp("fuzz"), web_workers=2, extra_env={
        "RATELIMIT_ENABLED": "false", "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1", "LOG_LEVEL": "ERROR"})
    try:
        system.start()
        api = Api({name: system.url(name) for name in SERVICES})
        admin, staff = system.token("admin", sub="fuzz-admin"), system.token("staff", sub="fuzz-staff")
        caseworker = api.post("support", "/caseworkers", admin, {"name": "Fuzz", "email": "fuzz@stuttgart.example"},
                              expect=201)
        company = _company(system, api, admin, staff, "f", system.run_id)  # objects for the stateful phase
        _contract_claim_incident(api, staff, company)
        tokens = {role: system.token(role, sub=f"fuzz-{role}")["Authorization"] for role in ROLES if role != "company"}
        tokens["company"] = company.token["Authorization"]
        tokens["caseworker"] = system.token("caseworker", sub=caseworker["id"])["Authorization"]
        yield system, tokens
    finally:
        system.shutdown()


def _document_for(system: System, service: str, role: str, report_dir: Path) -> Path | None:
    """The served document, less the operations `role` is not admitted to (None if none is left)."""
    document = requests.get(f"{system.url(service)}/openapi.json", timeout=30).json()
    for item in document["paths"].values():
        for method in [m for m, op in item.items() if isinstance(op, dict) and "x-required-roles" in op]:
            if role not in item[method]["x-required-roles"]:
                del item[method]
    document["paths"] = {path: item for path, item in document["paths"].items() if set(item) - {"parameters"}}
    if not document["paths"]:
        return None
    path = report_dir / f"{service}-{role}.openapi.json"
    path.write_text(json.dumps(document))
    return path


def _run(system: System, tokens: dict, service: str, role: str, report_dir: Path) -> dict | None:
    out = report_dir / f"{service}-{role}"
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "schemathesis_hooks",
           "FUZZ_CLAIMS_KEY": str(system.var_dir / "jwt" / "dev-private.pem"),
           "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}
    if EVERY_OPERATION:
        location = [f"{system.url(service)}/openapi.json"]
    else:
        document = _document_for(system, service, role, report_dir)
        if document is None:
            return None
        # the server's 405 names the methods the trimmed document left out: not the API's fault
        location = [str(document), "--url", system.url(service), "--exclude-checks", "allow_header_conformance"]
    command = [str(BIN / "schemathesis"), "run", *location,
               "--header", f"Authorization: {tokens[role]}", "--max-examples", str(EXAMPLES), "--workers", "1",
               "--report", "json", "--report-dir", str(out), "--output-truncate", "true", "--no-color",
               # PostgreSQL cannot store NUL: every service refuses it with a 422 naming the field
               # (servicekit.web.limits, test_edges.py), which the documents do not spell out per string
               "--generation-allow-x00", "false"]
    if SEED:
        command += ["--seed", SEED]
    started = time.monotonic()
    done = subprocess.run(command, cwd=report_dir, env=env, capture_output=True, text=True, timeout=900)
    (report_dir / f"{service}-{role}.txt").write_text(done.stdout + done.stderr)
    [report] = out.glob("*.json")
    return {"service": service, "role": role, "seconds": time.monotonic() - started,
            "report": json.loads(report.read_text()), "output": report_dir / f"{service}-{role}.txt"}


def _examples(output: Path, codes: tuple[str, ...]) -> list[str]:
    """One line per (operation, finding) of a run's text output: the answer and how to reproduce it."""
    lines = []
    for block in re.split(r"\n_{5,} ", output.read_text())[1:]:
        operation = block.split(" _")[0].strip()
        for code, title, body, curl in re.findall(
                r"- (ST\d{3}) ([^\n]+)\n(.*?)Reproduce with:\n\n\s+(curl[^\n]+)", block, re.S):
            if code.startswith(codes):
                answer = re.search(r"\[(\d{3})\][^\n]*\n\n\s+`([^`]{0,240})", body)
                said = f"{answer.group(1)} {answer.group(2)}" if answer else ""
                lines.append(f"{operation} | {code} {title} | {said} | {curl[:400]}")
    return lines


def test_schemathesis_finds_no_server_error_and_no_answer_off_the_document(fuzz_system, tmp_path):
    system, tokens = fuzz_system
    if os.environ.get("FUZZ_REPORT_DIR"):  # keep the runs' reports (make fuzz)
        tmp_path = Path(os.environ["FUZZ_REPORT_DIR"]).resolve()
        tmp_path.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(PARALLEL) as pool:
        runs = [run for run in pool.map(lambda pair: _run(system, tokens, *pair, tmp_path),
                                        [(service, role) for service in SERVICES for role in ROLES]) if run]
    operations = cases = 0
    blocking, findings = [], Counter()
    for run in runs:
        report = run["report"]
        assert not report["errors"], f"{run['service']} as {run['role']}: {report['errors']}\n{run['output'].read_text()[-3000:]}"
        operations += report["operations"]["tested"]
        cases += report["test_cases"]["generated"]
        for failure in report["failures"]:
            for operation in failure["operations"]:
                key = (failure["code"], failure["title"], run["service"], operation)
                findings[key] += failure["count"]
                if _must_not_fail(failure["code"]):
                    blocking.append((run["service"], run["role"], failure["code"], failure["title"], operation,
                                     str(run["output"])))
    print(f"\nschemathesis: {len(runs)} runs (service x role), {operations} (operation, role) pairs tested, "
          f"{cases} test cases, {EXAMPLES} examples per operation, seed {runs[0]['report']['seed']}, "
          f"{time.monotonic() - started:.0f} s")
    for (code, title, service, operation), count in sorted(findings.items()):
        print(f"  {code} {title}: {service} {operation} ({count})")
    seen = set()
    for run in runs:
        for line in _examples(run["output"], ("ST1", "ST2", "ST3", "ST4")):
            if tuple(line.split(" | ")[:2]) not in seen:
                seen.add(tuple(line.split(" | ")[:2]))
                print(f"    {run['service']} as {run['role']}: {line}")
    details = "\n".join(Path(b[-1]).read_text()[:6000] for b in blocking[:3])
    assert blocking == [], f"{len(blocking)} failures that must not happen:\n{details}"
    assert operations >= (80 * len(ROLES) if EVERY_OPERATION else 200) and cases > 1000
    sys.stdout.flush()
