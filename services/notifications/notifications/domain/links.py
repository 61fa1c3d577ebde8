"""A link to the matter in every message to staff, caseworkers and companies.

A route names where its matter lives (``"contracts:/api/v1/claims/{claim_id}"``, see
``config/routing.json``); each audience has a base URL with a ``{service}`` placeholder
(``config/links.json``, overridden by ``NOTIFICATIONS_LINK_BASE_<AUDIENCE>``), so a deployment
points companies at their portal and the office at its own front end or the API docs. Households
have no login anywhere, so their messages carry no link.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping
from urllib.parse import quote

from .catalogue import Role
from .routing import Route

#: Whose base URL a role's links use: the contact person is a caseworker.
AUDIENCE: dict[Role, str] = {
    Role.COMPANY: "company",
    Role.CASEWORKER: "caseworker",
    Role.CONTACT_PERSON: "caseworker",
    Role.STAFF: "staff",
    Role.FINANCE: "finance",
    Role.OPERATORS: "operators",
}

BaseUrls = Callable[[str], "str | None"]


def link_for(route: Route, values: Mapping[str, Any], base_url: BaseUrls) -> str | None:
    """The URL of the route's matter, or None (no link configured, a household, an id missing)."""
    audience = AUDIENCE.get(route.role)
    if route.link is None or audience is None:
        return None
    base = base_url(audience)
    if not base:
        return None
    service, _, path = route.link.partition(":")
    try:
        filled = path.format_map({k: quote(str(v), safe="") for k, v in values.items() if v is not None})
    except KeyError:
        return None  # an event without the id (an older producer): the message goes out without a link
    return base.format(service=service).rstrip("/") + filled
