"""Bearer tokens: RS256 JWTs verified against a configured public key or an identity provider's JWKS.

In development a key pair is created under `var/jwt/` on first use and `wohnenplus token` mints
tokens with it. The algorithm list is fixed (never taken from the token header) and `exp`, `iat`,
`aud`, `iss` and `sub` are required, so `alg: none`, HS256-with-the-public-key and tokens without expiry
are all refused.

The claims are bounded when the token is verified, so that no view meets a value it cannot store:
`exp`, `iat` and `nbf` are numbers (not numeric strings), `exp - iat` is at most
`JWT_MAX_LIFETIME_SECONDS` (default 12 h: a stolen token cannot be good for years), `sub` is a
non-empty printable string of at most 120 characters (the audit trail's actor column), `company_id`
a UUID (what the companies' ids are), `name` at most 200 characters.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from servicekit.settings import Settings

ALGORITHMS = ["RS256"]
ROLES = frozenset({"staff", "caseworker", "finance", "admin", "company", "dpo"})
DEFAULT_MAX_LIFETIME_SECONDS = 12 * 3600
DEFAULT_TOKEN_CACHE_SIZE = 4096
LEEWAY_SECONDS = 10
#: servicekit.db.tables' audit `actor` column is String(120).
MAX_SUB_LENGTH = 120
MAX_NAME_LENGTH = 200
_PRINTABLE = re.compile(r"^[^\x00-\x20\x7f-\x9f]([^\x00-\x1f\x7f-\x9f]*[^\x00-\x20\x7f-\x9f])?$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


class InvalidToken(Exception):
    pass


@dataclass(frozen=True)
class Principal:
    sub: str
    roles: frozenset[str]
    company_id: str | None = None
    name: str | None = None

    def has_any(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def is_company(self) -> bool:
        """A company principal sees only its own rows; staff roles are never company-scoped."""
        return "company" in self.roles and not self.roles.intersection({"staff", "admin", "finance"})

    @property
    def role(self) -> str:
        """The most privileged role, for the audit trail."""
        for role in ("admin", "staff", "finance", "dpo", "caseworker", "company"):
            if role in self.roles:
                return role
        return "none"


def ensure_dev_keys(var_dir: Path) -> tuple[Path, Path]:
    """Create the development key pair once; concurrent first starts agree on one pair."""
    key_dir = var_dir / "jwt"
    private, public = key_dir / "dev-private.pem", key_dir / "dev-public.pem"
    if private.exists() and public.exists():
        return private, public
    var_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=var_dir, prefix=".jwt-"))
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (staging / "dev-private.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    os.chmod(staging / "dev-private.pem", 0o600)
    (staging / "dev-public.pem").write_bytes(
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    try:
        os.rename(staging, key_dir)  # atomic; fails if another process got there first
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
    return private, public


class TokenVerifier:
    """Verifies bearer tokens and remembers the ones it verified until they expire.

    A client sends the same token with every request for hours; the RS256 check and the claim
    rules give the same answer each time, so a verified token's principal is kept (keyed by the
    whole token, signature included, so no other string matches it) until its `exp`, in a bounded
    cache of the most recently used `TOKEN_CACHE_SIZE` tokens. Refused tokens are not cached.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._verified: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        self._cache_size = int(settings.get("TOKEN_CACHE_SIZE", str(DEFAULT_TOKEN_CACHE_SIZE)) or 0)
        self._lock = threading.Lock()
        self._jwks = jwt.PyJWKClient(settings.jwt_jwks_url, cache_keys=True) if settings.jwt_jwks_url else None
        self._public_key = None
        self.max_lifetime = int(settings.get("JWT_MAX_LIFETIME_SECONDS", str(DEFAULT_MAX_LIFETIME_SECONDS))
                                or DEFAULT_MAX_LIFETIME_SECONDS)

    def _key_for(self, token: str):
        if self._jwks is not None:
            return self._jwks.get_signing_key_from_jwt(token).key
        if self._public_key is None:
            # Parsed once: handing PyJWT the PEM text would parse the key again on every request.
            path = self.settings.jwt_public_key_file or ensure_dev_keys(self.settings.var_dir)[1]
            self._public_key = serialization.load_pem_public_key(Path(path).read_bytes())
        return self._public_key

    def verify(self, token: str) -> Principal:
        with self._lock:
            hit = self._verified.get(token)
            if hit is not None:
                if time.time() < hit[1]:
                    self._verified.move_to_end(token)
                    return hit[0]
                del self._verified[token]
        principal, expires = self._verify(token)
        if self._cache_size > 0:
            with self._lock:
                self._verified[token] = (principal, expires)
                while len(self._verified) > self._cache_size:
                    self._verified.popitem(last=False)
        return principal

    def _verify(self, token: str) -> tuple[Principal, float]:
        try:
            claims = jwt.decode(
                token,
                self._key_for(token),
                algorithms=ALGORITHMS,
                audience=self.settings.jwt_audience,
                issuer=self.settings.jwt_issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "aud", "iss", "sub"]},
            )
        except (jwt.PyJWTError, ValueError) as exc:
            raise InvalidToken(type(exc).__name__) from exc
        for name in ("exp", "iat", "nbf"):
            value = claims.get(name)
            # PyJWT reads "exp": "99999999999" as a number; a token from a real IdP never has one.
            if name in claims and (isinstance(value, bool) or not isinstance(value, (int, float))):
                raise InvalidToken(f"{name} must be a number")
        if claims["exp"] - claims["iat"] > self.max_lifetime + LEEWAY_SECONDS:
            raise InvalidToken("the token lives longer than JWT_MAX_LIFETIME_SECONDS")
        sub = claims["sub"]
        if not isinstance(sub, str) or len(sub) > MAX_SUB_LENGTH or not _PRINTABLE.match(sub):
            raise InvalidToken(f"sub must be a printable string of 1 to {MAX_SUB_LENGTH} characters")
        roles = claims.get("roles") or []
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise InvalidToken("roles must be a list of strings")
        company_id = claims.get("company_id")
        if company_id is not None and not (isinstance(company_id, str) and _UUID.match(company_id)):
            raise InvalidToken("company_id must be a UUID")
        if "company" in roles and not company_id:
            raise InvalidToken("a company token needs company_id")
        name = claims.get("name")
        if name is not None and not (isinstance(name, str) and len(name) <= MAX_NAME_LENGTH):
            raise InvalidToken(f"name must be a string of at most {MAX_NAME_LENGTH} characters")
        principal = Principal(
            sub=sub,
            roles=frozenset(r for r in roles if r in ROLES),
            company_id=company_id.lower() if company_id else None,
            name=name,
        )
        return principal, float(claims["exp"])


def mint_token(
    settings: Settings,
    *,
    sub: str,
    roles: list[str],
    company_id: str | None = None,
    name: str | None = None,
    ttl_seconds: int = 8 * 3600,
) -> str:
    """A development token signed with the dev private key (production tokens come from the IdP)."""
    unknown = set(roles) - ROLES
    if unknown:
        raise ValueError(f"unknown roles: {', '.join(sorted(unknown))}")
    private = settings.jwt_private_key_file
    if not private.exists():
        private = ensure_dev_keys(settings.var_dir)[0]
    key = _private_key(str(private), private.stat().st_mtime_ns)
    now = int(time.time())
    claims = {
        "sub": sub,
        "roles": roles,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": now + ttl_seconds,
        "jti": str(uuid.uuid4()),
    }
    if company_id:
        claims["company_id"] = company_id
    if name:
        claims["name"] = name
    return jwt.encode(claims, key, algorithm="RS256")


@lru_cache(maxsize=4)
def _private_key(path: str, _mtime_ns: int):
    """Loading (and validating) an RSA key costs tens of milliseconds; a replaced file is re-read."""
    return serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
