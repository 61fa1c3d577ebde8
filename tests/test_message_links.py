"""Every link a message carries points at a real GET endpoint of the service it names (issue 22):
the routing table's links (services/notifications/notifications/config/routing.json) against the
URL maps of the four services' real apps. That the recipient may open it is the story's check."""

from __future__ import annotations

import pytest

from notifications.config import routing_table
from servicekit.service import discover
from servicekit.web import create_app

TABLE = routing_table()
LINKED = [route for route in TABLE.routes if route.link]


@pytest.fixture(scope="module")
def url_maps():
    return {name: create_app(service).url_map.bind("localhost") for name, service in discover().items()}


def test_every_route_to_someone_with_a_login_has_a_link():
    assert {(r.event_type, r.role.value) for r in TABLE.routes if not r.link} == {
        (r.event_type, "household") for r in TABLE.routes if r.role.value == "household"}


@pytest.mark.parametrize("route", LINKED, ids=lambda r: f"{r.event_type}/{r.role.value}")
def test_the_link_is_a_get_endpoint_of_its_service(route, url_maps):
    service, _, path = route.link.partition(":")
    example = path.format(**{name: "6a0cf058-3848-4c63-90f9-376587de4b4b" for name in route.fields + route.directory})
    endpoint, _ = url_maps[service].match(example, method="GET")
    assert endpoint, f"{route.link} is no GET endpoint of {service}"
