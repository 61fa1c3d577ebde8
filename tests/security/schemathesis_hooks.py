"""Schemathesis hooks for the fuzz runs (loaded through SCHEMATHESIS_HOOKS).

- A webhook URL the fuzzer registers would make the notifications worker POST to whatever host it
  generated: every registered URL is replaced by a closed port on this machine (the fuzz system
  allows local http), so the run never sends traffic anywhere else. The URL's own rules are tested
  in the notifications service.
- A request line longer than gunicorn's limit (4094 bytes) is answered 414 by gunicorn itself, in
  HTML, before the application sees it: that is the server's protocol guard, not the API's answer,
  so its failures are not the API's.
- Token claims vary, not only bodies (issue 23: a 200-character `sub` or a 40-character
  `company_id` answered 500): with FUZZ_CLAIMS_KEY (the dev signing key's file) each request's token
  is signed again with its claims at an edge that verification still admits — the longest `sub`, a
  long Unicode `name`, the company id in capitals, the longest lifetime, fractional times, unknown
  roles — chosen by the request's own hash, so a seed replays the same tokens. A request the run
  sends without a token (or with a broken one) is left alone.
"""

from __future__ import annotations

import os
import time
import zlib

import schemathesis

LOCAL_HOOK = "http://127.0.0.1:9/fuzz-webhook"


_CLAIMS_KEY = os.environ.get("FUZZ_CLAIMS_KEY")
_VARIANTS = (
    lambda c, now: c,
    lambda c, now: {**c, "sub": ("Ä" + c["sub"] + "·" * 120)[:120]},
    lambda c, now: {**c, "name": ("Zoë Øster-Ünal 🏠 " * 20)[:200]},
    lambda c, now: {**c, "company_id": c["company_id"].upper()} if c.get("company_id") else c,
    lambda c, now: {**c, "iat": now, "exp": now + 12 * 3600},
    lambda c, now: {**c, "iat": now + 0.5, "exp": now + 600.25},
    lambda c, now: {**c, "roles": [*c.get("roles", []), "superuser", "Staff"]},
)


def _varied(authorization: str, seed: str) -> str:
    import jwt

    try:
        claims = jwt.decode(authorization.split(" ", 1)[1], options={"verify_signature": False})
    except (IndexError, jwt.PyJWTError):
        return authorization  # not a token of ours: whatever the run meant to send
    now = int(time.time())
    claims = _VARIANTS[zlib.crc32(seed.encode()) % len(_VARIANTS)]({**claims, "iat": now, "exp": now + 600}, now)
    with open(_CLAIMS_KEY, "rb") as key:
        return "Bearer " + jwt.encode(claims, key.read(), algorithm="RS256")


@schemathesis.hook
def before_call(context, case, kwargs):
    if case.operation.path.endswith("/webhook") and case.method.upper() == "PUT" \
            and isinstance(case.body, dict) and isinstance(case.body.get("url"), str):
        case.body = {**case.body, "url": LOCAL_HOOK}
    headers = kwargs.get("headers")
    if _CLAIMS_KEY and headers and str(headers.get("Authorization", "")).startswith("Bearer "):
        seed = f"{case.method} {case.formatted_path} {case.body!r} {case.query!r}"
        kwargs["headers"] = {**headers, "Authorization": _varied(headers["Authorization"], seed)}


@schemathesis.hook
def filter_failure(context, failure, case, response):
    return response is None or response.status_code != 414
