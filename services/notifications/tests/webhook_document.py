"""The published description of the webhook payloads (webhooks.yaml, OpenAPI 3.1), for the tests."""

from pathlib import Path

import jsonschema
import yaml

DOC = yaml.safe_load((Path(__file__).parents[1] / "webhooks.yaml").read_text(encoding="utf-8"))


def body_schema(event_type: str) -> dict:
    content = DOC["webhooks"][event_type]["post"]["requestBody"]["content"]["application/json"]
    return content


def delivery_problems(event_type: str, payload: dict) -> list[str]:
    """Every way ``payload`` differs from what the document promises for ``event_type``: a schema
    error, or a data field the document does not name. Empty when it fits."""
    schema = {**body_schema(event_type)["schema"], "components": DOC["components"]}
    problems = [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
                for e in jsonschema.Draft202012Validator(schema).iter_errors(payload)]
    undocumented = set(payload.get("data") or {}) - set(_data_schema(event_type)["properties"])
    return problems + [f"data/{name}: not in the document" for name in sorted(undocumented)]


def validate_delivery(event_type: str, payload: dict) -> None:
    """Raise if ``payload`` does not fit what the document promises for ``event_type``, or carries a
    data field the document does not name."""
    schema = {**body_schema(event_type)["schema"], "components": DOC["components"]}
    jsonschema.Draft202012Validator(schema).validate(payload)
    data_schema = _data_schema(event_type)
    assert set(payload["data"]) <= set(data_schema["properties"]), set(payload["data"]) - set(data_schema["properties"])


def _data_schema(event_type: str) -> dict:
    ref = body_schema(event_type)["schema"]["$ref"].rsplit("/", 1)[1]
    data_ref = DOC["components"]["schemas"][ref]["allOf"][1]["properties"]["data"]["$ref"].rsplit("/", 1)[1]
    return DOC["components"]["schemas"][data_ref]


def documented_fields(event_type: str) -> set[str]:
    return set(_data_schema(event_type)["properties"])
