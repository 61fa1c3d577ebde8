"""Webhook signing after Standard Webhooks (standardwebhooks.com), so that any of its libraries
verifies a delivery without code of ours.

Each POST carries
    webhook-id: <the message's id, the same on every retry>
    webhook-timestamp: <unix seconds>
    webhook-signature: v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<raw body>")>
where the key is the base64-decoded part of the secret after ``whsec_``. During a secret rotation
the signature header holds one ``v1,`` entry per valid secret, separated by spaces.

Endpoints registered before the switch (``legacy`` below) also get the former headers
``X-WohnenPlus-Timestamp`` / ``-Signature`` (``v1=<hex HMAC(key, "<timestamp>." + body)>``) and
``-Delivery``: their HMAC key was the old secret's text, and the stored secret is that same key
written the standard way, so old receivers keep working while they switch to a library.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets as _secrets
import time
from typing import Iterable

ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"
PREFIX = "whsec_"
#: Standard Webhooks asks for 24 to 64 random bytes.
SECRET_BYTES = 32

LEGACY_TIMESTAMP_HEADER = "X-WohnenPlus-Timestamp"
LEGACY_SIGNATURE_HEADER = "X-WohnenPlus-Signature"
LEGACY_DELIVERY_HEADER = "X-WohnenPlus-Delivery"


class InvalidSecret(ValueError):
    pass


def new_secret() -> str:
    """A fresh per-company signing secret: ``whsec_`` and 32 random bytes in base64."""
    return PREFIX + base64.b64encode(_secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def secret_key(secret: str) -> bytes:
    """The HMAC key a secret stands for."""
    if not secret.startswith(PREFIX):
        raise InvalidSecret("a signing secret starts with whsec_")
    try:
        key = base64.b64decode(secret[len(PREFIX):], validate=True)
    except (binascii.Error, ValueError):
        raise InvalidSecret("a signing secret is base64 after whsec_") from None
    if not key:
        raise InvalidSecret("a signing secret must not be empty")
    return key


def standard_from_legacy(secret: str) -> str:
    """The secret of an endpoint registered before Standard Webhooks, written the standard way:
    its HMAC key was the secret's text (UTF-8), so the key is kept and only its spelling changes."""
    return PREFIX + base64.b64encode(secret.encode("utf-8")).decode("ascii")


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{int(timestamp)}.".encode("utf-8") + body
    return "v1," + base64.b64encode(hmac.new(secret_key(secret), signed, hashlib.sha256).digest()).decode("ascii")


def signature_headers(secrets: Iterable[str], message_id: str, timestamp: int, body: bytes,
                      *, legacy: bool = False) -> dict[str, str]:
    """Headers for one POST. ``secrets``: the current secret first, then any still in grace."""
    secrets = list(secrets)
    if not secrets:
        raise ValueError("at least one secret is needed to sign")
    headers = {
        ID_HEADER: message_id,
        TIMESTAMP_HEADER: str(int(timestamp)),
        SIGNATURE_HEADER: " ".join(sign(s, message_id, timestamp, body) for s in secrets),
        "Content-Type": "application/json; charset=utf-8",
    }
    if legacy:
        message = str(int(timestamp)).encode("ascii") + b"." + body
        headers[LEGACY_TIMESTAMP_HEADER] = headers[TIMESTAMP_HEADER]
        headers[LEGACY_SIGNATURE_HEADER] = ", ".join(
            "v1=" + hmac.new(secret_key(s), message, hashlib.sha256).hexdigest() for s in secrets)
        headers[LEGACY_DELIVERY_HEADER] = message_id
    return headers


def unix_time() -> int:
    return int(time.time())
