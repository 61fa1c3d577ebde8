"""Webhook endpoints (URL rules) and the JSON payload companies receive."""

from __future__ import annotations

import ipaddress
import json
from datetime import datetime, timezone
from typing import Any, Mapping
from urllib.parse import urlsplit

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
MAX_URL_LENGTH = 2048


class InvalidWebhookUrl(ValueError):
    pass


def validate_webhook_url(url: str, *, allow_local_http: bool = False) -> str:
    """Return the URL if companies may register it, else raise InvalidWebhookUrl.

    HTTPS only: the payload holds tenancy data. Plain http is accepted for localhost when
    ``allow_local_http`` (development and tests). Addresses inside private or loopback networks
    are refused otherwise, so that a registered endpoint cannot make the worker call internal
    services.
    """
    if not isinstance(url, str) or not url.strip():
        raise InvalidWebhookUrl("URL is required")
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise InvalidWebhookUrl("URL is too long")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise InvalidWebhookUrl(f"not a URL: {error}") from None
    if parts.scheme not in ("https", "http"):
        raise InvalidWebhookUrl("URL must use https")
    host = (parts.hostname or "").lower()
    if not host:
        raise InvalidWebhookUrl("URL has no host")
    if parts.username or parts.password:
        raise InvalidWebhookUrl("URL must not contain credentials")
    if parts.fragment:
        raise InvalidWebhookUrl("URL must not contain a fragment")
    is_local = host in LOCAL_HOSTS
    if parts.scheme == "http":
        if not (allow_local_http and is_local):
            raise InvalidWebhookUrl("URL must use https")
    elif parts.scheme != "https":
        raise InvalidWebhookUrl("URL must use https")
    if is_local and not allow_local_http:
        raise InvalidWebhookUrl("URL must not point at this machine")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is not None and not address.is_global and not is_local:
        raise InvalidWebhookUrl("URL must not point into a private network")
    if port == 0:
        raise InvalidWebhookUrl("URL has an invalid port")
    return url


def _iso_utc(value: datetime) -> str:
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def webhook_payload(
    *,
    delivery_id: str,
    event_id: str,
    event_type: str,
    occurred_at: datetime,
    data: Mapping[str, Any],
) -> dict[str, Any]:
    """What a company's system receives. ``data`` must already be limited to the route's
    whitelisted fields (``Route.visible_data``)."""
    return {
        "id": delivery_id,
        "event_id": event_id,
        "type": event_type,
        "occurred_at": _iso_utc(occurred_at),
        "data": dict(data),
    }


def encode_body(payload: Mapping[str, Any]) -> bytes:
    """The exact bytes that are signed and sent (UTF-8, no ASCII escaping of umlauts)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode(
        "utf-8"
    )
