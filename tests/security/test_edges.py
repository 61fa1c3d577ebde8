"""The edges of every service's real process: security headers, the docs page's policy, request size
(413), and the inputs the fuzzer found turning into 500s (NUL characters, over-deep JSON, a page
number past the database's range) — each now a problem+json 4xx or an empty page."""

from __future__ import annotations

import base64
import hashlib
import re
import socket
from urllib.parse import urlsplit

import pytest

from conftest import SERVICES, spawn_webs, stop_webs
from operations import operations


@pytest.mark.parametrize("service", SERVICES)
def test_every_answer_carries_the_security_headers(system, api, service):
    token = system.token("staff")
    answers = [api.call("GET", service, "/healthz"), api.call("GET", service, "/openapi.json"),
               api.call("GET", service, "/api/v1/nothing-here", token), api.call("GET", service, "/api/v1/privacy/access-log")]
    for response in answers:
        h = response.headers
        assert h["X-Content-Type-Options"] == "nosniff" and h["X-Frame-Options"] == "DENY", response.url
        assert h["Referrer-Policy"] == "no-referrer"
        assert "default-src 'none'" in h["Content-Security-Policy"] and "frame-ancestors 'none'" in h["Content-Security-Policy"]
        assert not re.search(r"\d", h.get("Server", "")), f"the Server header names a version: {h['Server']}"


@pytest.mark.parametrize("service", SERVICES)
def test_the_docs_page_runs_only_its_own_assets_and_script(api, service):
    page = api.call("GET", service, "/docs", expect=200)
    policy = page.headers["Content-Security-Policy"]
    scripts = re.findall(rb"<script>(.*?)</script>", page.content, re.DOTALL)
    hashes = {f"'sha256-{base64.b64encode(hashlib.sha256(s).digest()).decode()}'" for s in scripts}
    script_src = next(d for d in policy.split(";") if d.strip().startswith("script-src")).split()[1:]
    assert set(script_src) == {"'self'"} | hashes and "unsafe" not in policy
    for asset in re.findall(r'(?:src|href)="([^"]+)"', page.text):
        assert asset.startswith("/docs/assets/"), f"the docs page loads {asset} from elsewhere"
        assert api.call("GET", service, asset).status_code == 200


def _admin_write(specs, service: str):
    return next(o for o in operations({service: specs[service]})
                if o.method == "post" and o.roles and "admin" in o.roles)


def _filled(op) -> str:
    return op.url_path({name: "00000000-0000-0000-0000-000000000000" for name in op.path_params})


@pytest.fixture(scope="module")
def small_bodies(system):
    urls = spawn_webs(system, "small", {"MAX_REQUEST_BYTES": "2000", "CONTRACTS_MAX_REQUEST_BYTES": "2000"})
    yield urls
    stop_webs(system, "small")


def _raw_post(url: str, path: str, token: str, body: bytes, chunked: bool) -> tuple[int, bytes]:
    """A POST over a plain socket: requests cannot send a chunked body of a given size on purpose."""
    parts = urlsplit(url)
    head = [f"POST {path} HTTP/1.1", f"Host: {parts.netloc}", f"Authorization: Bearer {token}",
            "Content-Type: application/json", "Connection: close"]
    if chunked:
        payload = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 500]), body[i:i + 500]) for i in range(0, len(body), 500))
        head.append("Transfer-Encoding: chunked")
        payload += b"0\r\n\r\n"
    else:
        head.append(f"Content-Length: {len(body)}")
        payload = body
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as conn:
        conn.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + payload)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    status = int(answer.split(b" ", 2)[1])
    return status, answer


@pytest.mark.parametrize("service", SERVICES)
def test_a_body_over_the_limit_is_413_problem_json(system, specs, small_bodies, service):
    op = _admin_write(specs, service)
    token = system.token("admin")["Authorization"].split()[1]
    body = b'{"name": "' + b"x" * 3000 + b'"}'
    for chunked in (False, True):
        status, answer = _raw_post(small_bodies[service], _filled(op), token, body, chunked)
        assert status == 413 and b"application/problem+json" in answer, (op.path, chunked, answer[:300])


def test_nul_characters_are_a_422_naming_the_field(system, api):
    staff = system.token("staff")
    household = {"referral_no": "NUL-1", "adults": 1, "urgency": "inadequate_housing", "name": "a\u0000b"}
    response = api.call("POST", "matching", "/api/v1/households", staff, json=household)
    assert response.status_code == 422 and "name" in response.json()["errors"]["json"], response.text
    query = api.call("GET", "matching", "/api/v1/households", staff, params={"status": "wait\u0000ing"})
    assert query.status_code == 422 and "status" in query.json()["errors"]["query"]


@pytest.mark.parametrize("service", SERVICES)
def test_over_deep_json_is_a_400_not_a_500(system, specs, api, service):
    op = _admin_write(specs, service)
    body = "[" * 50_000 + "]" * 50_000
    response = api.call("POST", service, _filled(op), {**system.token("admin"), "Content-Type": "application/json"},
                        data=body)
    assert response.status_code == 400 and response.headers["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("service", SERVICES)
def test_a_page_far_past_the_end_is_empty(system, specs, api, service):
    op = next(o for o in operations({service: specs[service]})
              if o.method == "get" and "page" in o.query_params and o.roles and "staff" in o.roles)
    response = api.call("GET", service, op.path, system.token("staff"), params={"page": 10**26})
    assert response.status_code == 200 and response.json() == [], (op.path, response.text[:200])
