"""Webhook endpoints (URL rules) and the JSON payload companies receive."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Mapping
from urllib.parse import urlsplit

from .destinations import (
    AllowList,
    ForbiddenDestination,
    Resolver,
    check_host_name,
    checked_addresses,
    parse_destination,
)

MAX_URL_LENGTH = 2048


class InvalidWebhookUrl(ValueError):
    pass


def validate_webhook_url(url: str, *, allowed: AllowList = AllowList(), resolve: Resolver | None = None) -> str:
    """Return the URL if companies may register it, else raise InvalidWebhookUrl.

    HTTPS only: the payload holds tenancy data. The host must be public: address literals in
    every notation, ``localhost`` and single-label names are refused at once; with ``resolve``
    a name is also looked up, and one private answer refuses it. A name that does not resolve
    yet is accepted; the worker checks again before every delivery (``destinations``). Hosts in
    ``allowed`` (development) are exempt, plain http included.
    """
    if not isinstance(url, str) or not url.strip():
        raise InvalidWebhookUrl("URL is required")
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise InvalidWebhookUrl("URL is too long")
    try:
        parts = urlsplit(url)
        parts.port
    except ValueError as error:
        raise InvalidWebhookUrl(f"not a URL: {error}") from None
    if parts.scheme not in ("https", "http"):
        raise InvalidWebhookUrl("URL must use https")
    if not parts.hostname:
        raise InvalidWebhookUrl("URL has no host")
    if parts.username or parts.password or "@" in parts.netloc:
        raise InvalidWebhookUrl("URL must not contain credentials")
    if parts.fragment:
        raise InvalidWebhookUrl("URL must not contain a fragment")
    if "\\" in url or any(ord(c) < 33 for c in url):
        raise InvalidWebhookUrl("URL must not contain spaces, control characters or backslashes")
    try:
        destination = parse_destination(url)
        if resolve is None:
            check_host_name(destination, allowed)
        else:
            try:
                checked_addresses(destination, allowed, resolve)
            except (OSError, UnicodeError):
                pass  # not resolvable now: the worker checks before each delivery
    except ForbiddenDestination as error:
        raise InvalidWebhookUrl(str(error)) from None
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
