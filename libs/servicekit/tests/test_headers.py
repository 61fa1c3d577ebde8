"""Security headers on every answer; the docs page's policy admits exactly its own assets and script."""

from __future__ import annotations

import base64
import hashlib
import re

from servicekit.web.headers import API_POLICY


def test_api_answers_carry_the_security_headers(client, tokens):
    for response in (client.get("/api/v1/notes/00000000-0000-0000-0000-000000000001", headers=tokens.staff()),
                     client.post("/api/v1/notes", json={"company_id": "c", "text": "x"}, headers=tokens.staff()),
                     client.get("/api/v1/nothing"), client.get("/openapi.json"), client.get("/healthz")):
        headers = response.headers
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "no-referrer"
        assert headers["Content-Security-Policy"] == API_POLICY
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert "Strict-Transport-Security" not in headers  # plain HTTP: browsers ignore it there


def test_docs_policy_allows_its_own_assets_and_only_its_inline_script(client):
    page = client.get("/docs")
    policy = page.headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    html = page.get_data()
    [inline] = re.findall(rb"<script>(.*?)</script>", html, re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(inline).digest()).decode()
    assert directives["script-src"] == f"'self' 'sha256-{digest}'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert directives["default-src"] == "'none'" and directives["connect-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    for asset in re.findall(rb'(?:src|href)="(/docs/assets/[^"]+)"', html):  # all local, all served
        assert client.get(asset.decode()).status_code == 200


def test_hsts_over_https(client):
    response = client.get("/healthz", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
