"""Webhook signing (what WohnenPlus sends) and verification (what a company's receiver does).

Each webhook POST carries
    X-WohnenPlus-Timestamp: <unix seconds>
    X-WohnenPlus-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>." + raw body)>
During a secret rotation the signature header holds one ``v1=`` entry per valid secret,
separated by commas, so receivers can switch secrets without losing a message.

Replay protection: the timestamp is signed together with the body, and a receiver refuses
timestamps outside a tolerance window (5 minutes by default). Inside that window, the ``id`` in
the JSON body is unique per delivery; receivers that must be strictly once-only remember the ids
they have seen for the window.

``verify_signature`` below uses only the standard library: companies can copy it as it is.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets as _secrets
import time
from typing import Iterable

SIGNATURE_HEADER = "X-WohnenPlus-Signature"
TIMESTAMP_HEADER = "X-WohnenPlus-Timestamp"
SCHEME = "v1"
DEFAULT_TOLERANCE_SECONDS = 300


def new_secret() -> str:
    """A fresh per-company signing secret (256 bits of randomness)."""
    return "whsec_" + _secrets.token_urlsafe(32)


def compute_signature(secret: str, timestamp: int, body: bytes) -> str:
    message = str(int(timestamp)).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signature_headers(secrets: Iterable[str], timestamp: int, body: bytes) -> dict[str, str]:
    """Headers for one POST. ``secrets``: the current secret first, then any still in grace."""
    signatures = [f"{SCHEME}={compute_signature(s, timestamp, body)}" for s in secrets]
    if not signatures:
        raise ValueError("at least one secret is needed to sign")
    return {
        TIMESTAMP_HEADER: str(int(timestamp)),
        SIGNATURE_HEADER: ", ".join(signatures),
        "Content-Type": "application/json; charset=utf-8",
    }


# --- copy from here into a receiver ---------------------------------------------------------
def verify_signature(
    secret: str,
    body: bytes,
    timestamp_header: str | None,
    signature_header: str | None,
    tolerance_seconds: int = 300,
    now: float | None = None,
) -> bool:
    """True if ``body`` was signed by WohnenPlus with ``secret`` within the tolerance window.

    Pass the raw request body (bytes, before any JSON parsing) and the values of the
    X-WohnenPlus-Timestamp and X-WohnenPlus-Signature headers.
    """
    import hashlib
    import hmac
    import time

    if not secret or not timestamp_header or not signature_header:
        return False
    try:
        timestamp = int(timestamp_header)
    except ValueError:
        return False
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_seconds:
        return False  # too old (a replay) or from a badly wrong clock
    expected = hmac.new(
        secret.encode("utf-8"), str(timestamp).encode("ascii") + b"." + body, hashlib.sha256
    ).hexdigest()
    for entry in signature_header.split(","):
        scheme, _, value = entry.strip().partition("=")
        if scheme == "v1" and hmac.compare_digest(value, expected):
            return True
    return False
# --- copy up to here -------------------------------------------------------------------------


def unix_time() -> int:
    return int(time.time())
