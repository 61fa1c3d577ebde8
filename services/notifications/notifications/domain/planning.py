"""From one event to the messages it causes: which routes, which recipients, what text."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from .catalogue import Event, InvalidEvent
from .recipients import ContactPersonLookup, RecipientRef, resolve_recipient
from .rendering import RenderedMessage, Renderer
from .routing import Route, RoutingTable


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


def template_context(
    route: Route, event: Event, recipient_name: str | None
) -> dict[str, Any]:
    context: dict[str, Any] = dict(route.visible_data(event.data))
    context["recipient"] = {"name": recipient_name}
    context["event"] = {"id": event.id, "type": event.type, "occurred_at": event.occurred_at}
    return context


def render_message(
    renderer: Renderer, route: Route, event: Event, recipient_name: str | None = None
) -> RenderedMessage:
    return renderer.render(route.template, template_context(route, event, recipient_name))


def webhook_data(route: Route, data: Mapping[str, Any]) -> dict[str, Any]:
    return route.visible_data(data)
