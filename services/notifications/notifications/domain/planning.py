"""From one event to the messages it causes: which routes, which recipients, what text."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from .catalogue import Event, InvalidEvent
from .links import BaseUrls, link_for
from .recipients import ContactPersonLookup, RecipientRef, resolve_recipient
from .rendering import RenderedMessage, Renderer
from .routing import DIRECTORY_FIELDS, Route, RoutingTable


@dataclass(frozen=True)
class PlannedMessage:
    route: Route
    recipient: RecipientRef
    #: True when a shared mailbox stands in for an unknown contact person.
    fallback: bool = False


def plan_messages(
    event: Event,
    table: RoutingTable,
    contact_person_of: ContactPersonLookup,
    household_of_case: Callable[[str], "str | None"] | None = None,
) -> list[PlannedMessage]:
    """The messages an event causes. A route marked ``optional`` whose recipient the event does
    not name is left out (the other recipients still hear); any other missing recipient makes
    the event invalid."""
    planned: list[PlannedMessage] = []
    seen: set[RecipientRef] = set()
    for route in table.for_event(event.type):
        try:
            resolution = resolve_recipient(
                route.role, event.type, event.data, contact_person_of, household_of_case
            )
        except InvalidEvent:
            if route.optional:
                continue
            raise
        # A fallback to the staff mailbox must not duplicate a message staff already get.
        if resolution.ref in seen:
            continue
        seen.add(resolution.ref)
        planned.append(PlannedMessage(route, resolution.ref, resolution.fallback))
    return planned


#: What the service adds to an event from its own directory, so a message names people and
#: companies instead of printing ids. A route sees them only if its ``directory`` lists them.
REFERENCE_FIELDS = DIRECTORY_FIELDS


def wanted_references(routes: "list[Route] | tuple[Route, ...]") -> frozenset[str]:
    """The directory references any of these routes may show (nothing to look up otherwise)."""
    return frozenset(f for route in routes for f in route.directory)


def template_context(
    route: Route,
    event: Event,
    recipient_name: str | None,
    references: Mapping[str, Any] | None = None,
    base_url: BaseUrls | None = None,
) -> dict[str, Any]:
    # The event's own fields win over what the directory adds.
    context: dict[str, Any] = {**route.visible_references(references or {}), **route.visible_data(event.data)}
    link = link_for(route, context, base_url) if base_url is not None else None
    if "recipient" in context:  # a failed delivery's recipient; `recipient` is this message's own
        context["recipient_ref"] = context.pop("recipient")
    context["recipient"] = {"name": recipient_name}
    context["event"] = {"id": event.id, "type": event.type, "occurred_at": event.occurred_at}
    if link:
        context["link"] = link
    return context


def render_message(
    renderer: Renderer,
    route: Route,
    event: Event,
    recipient_name: str | None = None,
    references: Mapping[str, Any] | None = None,
    base_url: BaseUrls | None = None,
) -> RenderedMessage:
    return renderer.render(route.template, template_context(route, event, recipient_name, references, base_url))


def webhook_data(route: Route, data: Mapping[str, Any]) -> dict[str, Any]:
    return route.visible_data(data)
