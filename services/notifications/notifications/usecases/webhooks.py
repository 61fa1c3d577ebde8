"""A company's webhook endpoint: registration, a new URL, secret rotation, removal."""

from __future__ import annotations

from datetime import timedelta

from servicekit.db import UnitOfWork
from servicekit.errors import RuleViolation, UnknownObject

from notifications import runtime as rt
from notifications.domain.signing import new_secret
from notifications.models import DirectoryEntry, WebhookEndpoint


def endpoint_of(uow: UnitOfWork, company_id: str) -> WebhookEndpoint:
    endpoint = uow.session.get(WebhookEndpoint, company_id)
    if endpoint is None:
        raise UnknownObject("webhook.unknown", "No webhook for this company.")
    return endpoint


def register_webhook(uow: UnitOfWork, company_id: str, url: str) -> tuple[WebhookEndpoint, str | None]:
    """Create or change a company's endpoint. Returns the secret only when a new one was made."""
    now = uow.now()
    endpoint = uow.session.get(WebhookEndpoint, company_id)
    if endpoint is None:
        # Only companies contracts announced (contracts.company.registered) receive anything here;
        # an endpoint for an id nobody registered would be an object for a company that does not exist.
        if uow.session.get(DirectoryEntry, f"company:{company_id}") is None:
            raise RuleViolation("webhook.unknown_company", "No housing company with this id is registered.",
                                field="company_id")
        secret = new_secret()
        endpoint = WebhookEndpoint(company_id=company_id, url=url, secret=secret, created_at=now, updated_at=now)
        uow.session.add(endpoint)
        uow.audit("webhook_endpoint", company_id, "registered")
        return endpoint, secret
    endpoint.url, endpoint.updated_at = url, now
    uow.audit("webhook_endpoint", company_id, "url_changed")
    return endpoint, None


def rotate_secret(uow: UnitOfWork, endpoint: WebhookEndpoint) -> str:
    """A new secret; the old one keeps signing (as a second signature) for the grace period so
    the company can switch its receiver without losing a message."""
    now = uow.now()
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = now + timedelta(seconds=rt.runtime().secret_grace_seconds)
    endpoint.secret = new_secret()
    # A company that rotates has its receiver on the standard headers: the former ones end here.
    endpoint.legacy_signature = False
    endpoint.updated_at = now
    uow.audit("webhook_endpoint", endpoint.company_id, "secret_rotated")
    return endpoint.secret


def remove_webhook(uow: UnitOfWork, company_id: str) -> None:
    """Stop webhooks for the company; its pending ones fail as 'webhook endpoint removed'."""
    uow.session.delete(endpoint_of(uow, company_id))
    uow.audit("webhook_endpoint", company_id, "removed")
