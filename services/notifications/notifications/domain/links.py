"""A link to the matter in every message to staff, caseworkers and companies.

A route names where its matter lives (``"contracts:/api/v1/claims/{claim_id}"``, see
``config/routing.json``); each audience has a base URL with a ``{service}`` placeholder
(``config/links.json``, overridden by ``NOTIFICATIONS_LINK_BASE_<AUDIENCE>``), so a deployment
points companies at their portal and the office at its own front end or the API docs. Households
have no login anywhere, so their messages carry no link.
"""

from __future__ import annotations

import functools
import string
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
    # Only the fields the path names are quoted (a message's context holds many more).
    try:
        filled = path.format_map({k: quote(str(values[k]), safe="") for k in _fields(path)
                                  if values.get(k) is not None})
    except KeyError:
        return None  # an event without the id (an older producer): the message goes out without a link
    return base.format(service=service).rstrip("/") + filled


@functools.lru_cache(maxsize=None)
def _fields(path: str) -> tuple[str, ...]:
    return tuple(name for _, name, _, _ in string.Formatter().parse(path) if name)
