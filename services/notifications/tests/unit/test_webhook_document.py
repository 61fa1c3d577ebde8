"""webhooks.yaml is a valid OpenAPI 3.1 document that describes exactly what companies receive."""

import pytest
from openapi_spec_validator import validate

from notifications.config import routing_table
from notifications.domain.catalogue import Role

from webhook_document import DOC, body_schema, delivery_problems, documented_fields, validate_delivery

TABLE = routing_table()
WEBHOOK_ROUTES = {r.event_type: r for r in TABLE.routes if r.role is Role.COMPANY and r.webhook}


def test_the_document_is_valid_openapi_3_1():
    assert DOC["openapi"].startswith("3.1")
    validate(DOC)


def test_every_webhook_route_is_documented_and_nothing_else():
    assert set(DOC["webhooks"]) == set(WEBHOOK_ROUTES)


@pytest.mark.parametrize("event_type", sorted(WEBHOOK_ROUTES))
def test_every_field_a_route_lets_through_is_documented(event_type):
    # A field added to a company's webhook route must be added to the document too.
    assert set(WEBHOOK_ROUTES[event_type].fields) <= documented_fields(event_type)


def test_no_field_is_documented_that_no_route_sends():
    sent: dict[frozenset, set] = {}
    for event_type, route in WEBHOOK_ROUTES.items():
        sent.setdefault(frozenset(documented_fields(event_type)), set()).update(route.fields)
    for documented, fields in sent.items():
        assert documented == fields


@pytest.mark.parametrize("event_type", sorted(WEBHOOK_ROUTES))
def test_examples_fit_their_schema(event_type):
    for example in body_schema(event_type).get("examples", {}).values():
        value = dict(example["value"], type=event_type)
        assert delivery_problems(event_type, value) == [], f"an example of {event_type} off its own schema"


def test_a_payload_off_the_document_is_refused():
    import jsonschema

    example = next(iter(body_schema("contracts.claim.paid")["examples"].values()))["value"]
    with pytest.raises(jsonschema.ValidationError):
        validate_delivery("contracts.claim.paid", dict(example, data={"claim_id": "x"}))
