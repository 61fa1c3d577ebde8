"""The AsyncAPI document matches what the service really consumes, and the samples fit it."""

from pathlib import Path

import pytest
import yaml

from sample_events import SAMPLE_DATA
from schema_errors import schema_errors

DOC = yaml.safe_load((Path(__file__).parents[2] / "asyncapi.yaml").read_text(encoding="utf-8"))


def _resolve(node):
    if isinstance(node, dict):
        if "$ref" in node:
            target = DOC
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            return _resolve(target)
        return {k: _resolve(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve(v) for v in node]
    return node


CHANNELS = {c["address"]: c for c in DOC["channels"].values()}


def _addresses(action):
    return {
        DOC["channels"][op["channel"]["$ref"].rsplit("/", 1)[1]]["address"]
        for op in DOC["operations"].values() if op["action"] == action
    }


def test_every_consumed_event_is_documented():
    from notifications.service import service

    assert _addresses("receive") == set(service.handlers)


def test_published_events_are_documented():
    assert _addresses("send") == {"notifications.delivery.failed", "notifications.household.erased"}


@pytest.mark.parametrize("event_type", sorted(set(SAMPLE_DATA) & set(CHANNELS)))
def test_samples_fit_the_documented_payloads(event_type):
    # the samples are version 1 (a channel may carry later versions beside it)
    [message] = [m for m in map(_resolve, CHANNELS[event_type]["messages"].values()) if m.get("x-event-version", 1) == 1]
    assert schema_errors(SAMPLE_DATA[event_type], message["payload"]) == []
