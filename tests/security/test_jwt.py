"""Forged and broken bearer tokens against every service's real process: 401 problem+json with a
Bearer challenge, and nothing of the API behind it. The control: the same request with a proper token
answers 200."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from conftest import SERVICES
from operations import operations


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unsigned(header: dict, claims: dict, signature: bytes = b"") -> str:
    return ".".join((_b64(json.dumps(header).encode()), _b64(json.dumps(claims).encode()), _b64(signature)))


@pytest.fixture(scope="module")
def forged(system) -> dict[str, str]:
    private = serialization.load_pem_private_key((system.var_dir / "jwt" / "dev-private.pem").read_bytes(), None)
    public_pem = (system.var_dir / "jwt" / "dev-public.pem").read_bytes()
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    claims = {"sub": "attacker", "roles": ["staff"], "iss": system.settings.jwt_issuer,
              "aud": system.settings.jwt_audience, "iat": now, "exp": now + 600}

    def rs256(payload: dict, key=private) -> str:
        return jwt.encode(payload, key, algorithm="RS256")

    def without(name: str) -> dict:
        return {k: v for k, v in claims.items() if k != name}

    hs_input = f"{_b64(json.dumps({'alg': 'HS256', 'typ': 'JWT'}).encode())}.{_b64(json.dumps(claims).encode())}"
    valid = rs256(claims)
    head, body, signature = valid.split(".")
    admin_body = _b64(json.dumps({**claims, "roles": ["admin"]}).encode())
    return {
        "alg none": _unsigned({"alg": "none", "typ": "JWT"}, claims),
        "HS256 signed with the public key": hs_input + "." + _b64(
            hmac.new(public_pem, hs_input.encode(), hashlib.sha256).digest()),
        "expired": rs256({**claims, "iat": now - 7200, "exp": now - 3600}),
        "not yet valid": rs256({**claims, "nbf": now + 3600}),
        "wrong audience": rs256({**claims, "aud": "another-system"}),
        "wrong issuer": rs256({**claims, "iss": "https://idp.example.org/realms/other"}),
        "missing sub": rs256(without("sub")),
        "missing exp": rs256(without("exp")),
        "tampered signature": f"{head}.{body}.{signature[:-4]}{'AAAA' if signature[-4:] != 'AAAA' else 'BBBB'}",
        "tampered claims (roles)": f"{head}.{admin_body}.{signature}",
        "signed by another key": rs256(claims, stranger),
        "company without company_id": rs256({**claims, "roles": ["company"]}),
        # issue 23: lifetimes and claims no view can store
        "exp in 10^20": rs256({**claims, "exp": 10**20}),
        "no iat": rs256(without("iat")),
        "exp a string": rs256({**claims, "exp": str(now + 600)}),
        "empty sub": rs256({**claims, "sub": ""}),
        "sub of 200 characters": rs256({**claims, "sub": "s" * 200}),
        "company_id of 40 characters": rs256({**claims, "roles": ["company"], "company_id": "c" * 40}),
        "not a JWT": "definitely-not-a-token",
    }


def _read_for_staff(specs, service: str) -> str:
    return next(op.path for op in operations({service: specs[service]})
                if op.method == "get" and not op.path_params and op.roles and "staff" in op.roles)


@pytest.mark.parametrize("service", SERVICES)
def test_forged_tokens_are_refused_by_every_service(system, specs, api, forged, service):
    path = _read_for_staff(specs, service)
    assert api.call("GET", service, path, system.token("staff")).status_code == 200, "the control"
    wrong = {}
    for name, token in forged.items():
        response = api.call("GET", service, path, {"Authorization": f"Bearer {token}"})
        ok = (response.status_code == 401 and response.headers["Content-Type"] == "application/problem+json"
              and response.headers.get("WWW-Authenticate", "").startswith("Bearer")
              and response.json()["status"] == 401)
        if not ok:
            wrong[name] = (response.status_code, response.text[:200])
    assert wrong == {}, f"{service}{path}"
