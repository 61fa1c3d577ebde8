"""Who hears what: the routing table (event type -> recipient roles -> template).

The table itself is data (``config/routing.json``); this module parses and validates it and
answers "which routes does this event have" and "what may this recipient see".
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Any, Mapping

from .catalogue import EVENT_CATALOGUE, Role


class RoutingError(ValueError):
    """The routing table is inconsistent (unknown event type or role, bad field list)."""


@dataclass(frozen=True)
class Route:
    event_type: str
    role: Role
    template: str
    fields: tuple[str, ...]
    webhook: bool = False
    #: Restricts the channels (e.g. inbox only for a route that would flood a mailbox).
    only_channels: tuple[str, ...] | None = None
    #: Skip the route (not the event) when the event does not name this recipient.
    optional: bool = False
    #: Where the matter lives: ``"<service>:/api/v1/...{field}"``, the fields from the route's whitelists.
    link: str | None = None
    #: What the recipient may see of what the service adds from its directory (names for ids, the
    #: household's case); never part of a webhook payload, which carries event data only.
    directory: tuple[str, ...] = ()

    def visible_data(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """The part of the event data this recipient may see: whitelisted keys only."""
        return {key: data[key] for key in self.fields if key in data}

    def visible_references(self, references: Mapping[str, Any]) -> dict[str, Any]:
        return {key: references[key] for key in self.directory if key in references}


#: The services a link may point into (each serves its API under /api/v1).
LINK_SERVICES = frozenset({"matching", "contracts", "support", "notifications"})


#: What the service can add from its directory (see ``planning.REFERENCE_FIELDS``).
DIRECTORY_FIELDS = frozenset({"household_name", "company_name", "caseworker_name", "case_id"})


def _check_link(where: str, link: Any, fields: list[str]) -> str:
    service, _, path = str(link).partition(":")
    if service not in LINK_SERVICES or not path.startswith("/api/v1/"):
        raise RoutingError(f"{where}: 'link' must be '<service>:/api/v1/...', got {link!r}")
    names = {name for _, name, _, _ in string.Formatter().parse(path) if name is not None}
    if not names <= set(fields):
        raise RoutingError(f"{where}: link uses {sorted(names - set(fields))}, which 'fields' does not list")
    return str(link)


def template_name(event_type: str, role: Role | str) -> str:
    return f"{event_type}/{Role(role).value}.txt.j2"


@dataclass(frozen=True)
class RoutingTable:
    routes: tuple[Route, ...]

    def for_event(self, event_type: str) -> tuple[Route, ...]:
        return tuple(r for r in self.routes if r.event_type == event_type)

    def route(self, event_type: str, role: Role | str) -> Route:
        for r in self.routes:
            if r.event_type == event_type and r.role == Role(role):
                return r
        raise KeyError((event_type, role))

    @property
    def event_types(self) -> frozenset[str]:
        return frozenset(r.event_type for r in self.routes)

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> "RoutingTable":
        routes: list[Route] = []
        for event_type, by_role in raw.get("routes", {}).items():
            if event_type not in EVENT_CATALOGUE:
                raise RoutingError(f"unknown event type in routing table: {event_type}")
            if not by_role:
                raise RoutingError(f"{event_type}: no recipient roles")
            for role_name, spec in by_role.items():
                try:
                    role = Role(role_name)
                except ValueError:
                    raise RoutingError(f"{event_type}: unknown role {role_name!r}") from None
                fields = spec.get("fields")
                if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
                    raise RoutingError(f"{event_type}/{role_name}: 'fields' must be a list of names")
                webhook = bool(spec.get("webhook", False))
                if webhook and role is not Role.COMPANY:
                    raise RoutingError(f"{event_type}/{role_name}: only companies have webhooks")
                only = spec.get("channels")
                if only is not None and (
                    not isinstance(only, list) or "inbox" not in only
                    or not set(only) <= {"inbox", "email", "webhook"}
                ):
                    raise RoutingError(f"{event_type}/{role_name}: 'channels' must list inbox and known channels")
                directory = spec.get("directory", [])
                if not isinstance(directory, list) or not set(directory) <= DIRECTORY_FIELDS:
                    raise RoutingError(f"{event_type}/{role_name}: 'directory' may list {sorted(DIRECTORY_FIELDS)}")
                link = spec.get("link")
                if link is not None:
                    link = _check_link(f"{event_type}/{role_name}", link, fields + directory)
                routes.append(
                    Route(
                        event_type=event_type,
                        role=role,
                        template=spec.get("template") or template_name(event_type, role),
                        fields=tuple(fields),
                        webhook=webhook,
                        only_channels=tuple(only) if only is not None else None,
                        optional=bool(spec.get("optional", False)),
                        link=link,
                        directory=tuple(directory),
                    )
                )
        return cls(tuple(routes))
