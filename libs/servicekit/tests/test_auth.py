"""Bearer tokens: only well-formed RS256 tokens from our issuer for our audience get in."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

NOTE_PATH = "/api/v1/notes"


def _claims(settings, **overrides):
    now = int(time.time())
    claims = {"sub": "u1", "roles": ["staff"], "iss": settings.jwt_issuer, "aud": settings.jwt_audience,
              "iat": now, "exp": now + 300}
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _sign(settings, claims, key=None, algorithm="RS256"):
    key = key or settings.jwt_private_key_file.read_bytes()
    return jwt.encode(claims, key, algorithm=algorithm)


def _other_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _hand_made(header: dict, claims: dict, secret: bytes | None) -> str:
    """Tokens no honest library would make (PyJWT refuses to), built by hand as an attacker would."""
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = _b64(hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()) if secret else ""
    return f"{signing_input}.{signature}"


BAD_TOKENS = {
    "expired": lambda s: _sign(s, _claims(s, exp=int(time.time()) - 3600)),
    "no expiry": lambda s: _sign(s, _claims(s, exp=None)),
    "wrong audience": lambda s: _sign(s, _claims(s, aud="someone-else")),
    "wrong issuer": lambda s: _sign(s, _claims(s, iss="https://evil.example")),
    "wrong signature": lambda s: _sign(s, _claims(s), key=_other_key()),
    "alg none": lambda s: _hand_made({"alg": "none", "typ": "JWT"}, _claims(s), None),
    "HS256 with the public key": lambda s: _hand_made(
        {"alg": "HS256", "typ": "JWT"}, _claims(s), (s.var_dir / "jwt" / "dev-public.pem").read_bytes()),
    "garbage": lambda s: "not.a.token",
}


@pytest.mark.parametrize("case", sorted(BAD_TOKENS))
def test_bad_tokens_are_rejected_with_401(client, settings, case):
    token = BAD_TOKENS[case](settings)
    response = client.post(NOTE_PATH, json={"company_id": "c", "text": "x"},
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.content_type == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_missing_token_is_401_and_wrong_role_is_403(client, tokens):
    assert client.post(NOTE_PATH, json={"company_id": "c", "text": "x"}).status_code == 401
    response = client.post(NOTE_PATH, json={"company_id": "c", "text": "x"}, headers=tokens.headers("caseworker"))
    assert response.status_code == 403 and response.json["title"] == "Forbidden"


def test_a_good_token_gets_in(client, tokens, settings):
    assert client.post(NOTE_PATH, json={"company_id": "c", "text": "x"}, headers=tokens.staff()).status_code == 201
    token = _sign(settings, _claims(settings))
    assert client.post(NOTE_PATH, json={"company_id": "c", "text": "y"},
                       headers={"Authorization": f"Bearer {token}"}).status_code == 201


def test_a_company_token_without_company_id_is_refused(client, settings):
    token = _sign(settings, _claims(settings, roles=["company"]))
    assert client.get(f"{NOTE_PATH}/{uuid.uuid4()}", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_another_companys_object_is_indistinguishable_from_a_missing_one(client, tokens):
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    note = client.post(NOTE_PATH, json={"company_id": a, "text": "x"}, headers=tokens.staff()).json
    assert client.get(f"{NOTE_PATH}/{note['id']}", headers=tokens.company(a)).status_code == 200
    theirs = client.get(f"{NOTE_PATH}/{note['id']}", headers=tokens.company(b))
    missing = client.get(f"{NOTE_PATH}/{uuid.uuid4()}", headers=tokens.company(b))
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json["detail"] == missing.json["detail"]


# Issue 23, findings 3 and 4: lifetimes and claims a view could not store.
BOUNDED = {
    "exp in 10^20 years": lambda s: _sign(s, _claims(s, exp=10**20)),
    "no iat": lambda s: _sign(s, _claims(s, iat=None)),
    "lives 13 h": lambda s: _sign(s, _claims(s, exp=int(time.time()) + 13 * 3600)),
    "iat a day in the future": lambda s: _sign(s, _claims(s, iat=int(time.time()) + 86400,
                                                          exp=int(time.time()) + 86400 + 60)),
    "exp a string": lambda s: _sign(s, _claims(s, exp=str(int(time.time()) + 300))),
    "iat a string": lambda s: _sign(s, _claims(s, iat=str(int(time.time())))),
    "exp true": lambda s: _sign(s, _claims(s, exp=True)),
    "empty sub": lambda s: _sign(s, _claims(s, sub="")),
    "blank sub": lambda s: _sign(s, _claims(s, sub="   ")),
    "sub a number": lambda s: _sign(s, _claims(s, sub=12345)),
    "sub of 200 characters": lambda s: _sign(s, _claims(s, sub="s" * 200)),
    "sub with a line break": lambda s: _sign(s, _claims(s, sub="u1\nadmin")),
    "company_id of 40 characters": lambda s: _sign(s, _claims(s, roles=["company"], company_id="c" * 40)),
    "company_id not a UUID": lambda s: _sign(s, _claims(s, roles=["company"], company_id="company-a")),
    "company_id a number": lambda s: _sign(s, _claims(s, roles=["company"], company_id=7)),
    "name of 1000 characters": lambda s: _sign(s, _claims(s, name="n" * 1000)),
}


@pytest.mark.parametrize("case", sorted(BOUNDED))
def test_unbounded_claims_are_rejected_with_401(client, settings, case):
    response = client.post(NOTE_PATH, json={"company_id": "c", "text": "x"},
                           headers={"Authorization": f"Bearer {BOUNDED[case](settings)}"})
    assert response.status_code == 401, response.json
    assert response.content_type == "application/problem+json"


def test_the_bounds_leave_ordinary_tokens_alone(client, settings):
    now = int(time.time())
    for claims in (_claims(settings, exp=now + 12 * 3600), _claims(settings, sub="x" * 120, name="Dörte Weiß"),
                   _claims(settings, exp=now + 300.5, iat=now + 0.25)):
        response = client.post(NOTE_PATH, json={"company_id": "c", "text": "x"},
                               headers={"Authorization": f"Bearer {_sign(settings, claims)}"})
        assert response.status_code == 201, (claims, response.json)


def test_the_maximum_lifetime_is_configurable(service, settings, db, monkeypatch):
    from servicekit.web import create_app

    monkeypatch.setenv("JWT_MAX_LIFETIME_SECONDS", str(30 * 24 * 3600))
    client = create_app(service, settings, db=db).test_client()
    token = _sign(settings, _claims(settings, exp=int(time.time()) + 7 * 24 * 3600))
    assert client.post(NOTE_PATH, json={"company_id": "c", "text": "x"},
                       headers={"Authorization": f"Bearer {token}"}).status_code == 201
