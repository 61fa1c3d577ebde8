"""The operations of the four APIs, read from the OpenAPI documents the running services serve, and
what the security tests need to call each one: the path filled with real ids, and a body that passes
the operation's schema so the request reaches the view's own checks.

The source of truth for "who may use an operation" is `x-required-roles` in each operation's
OpenAPI entry. `servicekit.web.requires(...)` writes it from the very tuple it enforces, so the
document cannot drift from the code, and a new endpoint is in the matrix the moment it exists. An
operation without it is unguarded and must be listed in PUBLIC with the reason.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

METHODS = ("get", "post", "put", "patch", "delete")

# Operations that take no bearer token, and why.
PUBLIC = {
    ("support", "get", "/api/v1/caseworkers/{caseworker_id}/calendar.ics"):
        "a calendar client's feed: its own secret `?token=` (or a bearer token); see test_limits_e2e",
}

# Bodies that pass each write operation's schema, so that the request reaches the view (where the
# ownership check is). Operations not listed get a body built from their schema's required fields.
TODAY = date.today().isoformat()
PDF_BASE64 = "JVBERi0xLjQKMSAwIG9iajw8Pj5lbmRvYmoKdHJhaWxlcjw8Pj4KJSVFT0YK"
BODIES: dict[tuple[str, str], Any] = {
    ("post", "/api/v1/flats"): {
        "street": "Hauptstraße 31", "postal_code": "70563", "district": "Vaihingen", "rooms": 1, "area_m2": 30, "floor": 0,
        "cold_rent_cents": 40_000, "service_charges_cents": 10_000, "heating_cents": 5_000,
        "available_from": "2030-01-01"},
    ("patch", "/api/v1/flats/{flat_id}"): {"floor": 2},
    ("post", "/api/v1/flats/{flat_id}/withdraw"): {"reason": "Eigenbedarf angemeldet"},
    ("post", "/api/v1/proposals/{proposal_id}/accept"): {},
    ("post", "/api/v1/proposals/{proposal_id}/decline"): {"reason": "household_does_not_fit_house"},
    ("post", "/api/v1/proposals/{proposal_id}/lease"): {
        "lease_start": TODAY, "unlimited": True, "cold_rent_cents": 55_000, "service_charges_cents": 15_000,
        "heating_cents": 8_000},
    ("post", "/api/v1/contracts/{contract_id}/sign"): {"party": "company"},
    ("post", "/api/v1/contracts/{contract_id}/claims"): {
        "kind": "damage_repairs", "amount_cents": 5_000, "description": "Schaden",
        "evidence": [{"kind": "invoice", "filename": "r.pdf", "content_type": "application/pdf",
                      "content_base64": PDF_BASE64}]},
    ("post", "/api/v1/contracts/{contract_id}/incidents"): {"kind": "other", "severity": "low", "description": "x"},
    ("post", "/api/v1/claims/{claim_id}/resubmit"): {"description": "Rechnung anbei"},
    ("put", "/api/v1/companies/{company_id}/webhook"): {"url": "http://127.0.0.1:9/never-called"},
}


@dataclass(frozen=True)
class Operation:
    service: str
    method: str
    path: str
    doc: dict
    spec: dict

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.service}{self.path}"

    @property
    def roles(self) -> set[str] | None:
        roles = self.doc.get("x-required-roles")
        return set(roles) if roles is not None else None

    @property
    def path_params(self) -> list[str]:
        return re.findall(r"{(\w+)}", self.path)

    @property
    def query_params(self) -> list[str]:
        return [p["name"] for p in self.doc.get("parameters", []) if p.get("in") == "query"]

    def url_path(self, values: dict[str, str]) -> str:
        return re.sub(r"{(\w+)}", lambda m: values[m.group(1)], self.path)

    def body(self) -> Any:
        if (self.method, self.path) in BODIES:
            return BODIES[(self.method, self.path)]
        schema = (self.doc.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema"))
        return example(schema, self.spec) if schema else None


def operations(specs: dict[str, dict]) -> list[Operation]:
    return [Operation(service, method, path, doc, spec)
            for service, spec in specs.items()
            for path, item in spec["paths"].items()
            for method, doc in item.items() if method in METHODS]


def example(schema: dict, spec: dict) -> Any:
    """A small value satisfying `schema`: required properties only, lowest allowed values."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return example(spec["components"]["schemas"][name], spec)
    for combined in ("allOf", "anyOf", "oneOf"):
        if combined in schema:
            return example(schema[combined][0], spec)
    if "example" in schema:
        return schema["example"]
    if "enum" in schema:
        return next(v for v in schema["enum"] if v is not None)
    kind = schema.get("type", "object")
    if kind == "object":
        props = schema.get("properties", {})
        return {name: example(props[name], spec) for name in schema.get("required", []) if name in props}
    if kind == "array":
        return [example(schema.get("items", {}), spec) for _ in range(schema.get("minItems", 0))]
    if kind == "integer":
        return int(schema.get("minimum", 1))
    if kind == "number":
        return schema.get("minimum", 1)
    if kind == "boolean":
        return False
    formats = {"uuid": str(uuid.uuid4()), "date": TODAY, "email": "sicherheit@example.org",
               "date-time": (datetime.now(timezone.utc) + timedelta(days=30)).isoformat()}
    if schema.get("format") in formats:
        return formats[schema["format"]]
    return "x" * max(1, schema.get("minLength", 1))
