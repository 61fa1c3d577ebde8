"""The OpenAPI documents as a housing company's developer meets them: every operation named and
described, every error with its problem schema, so that generators (openapi-python-client) and
linters (Spectral, Redocly) get them right without anyone hand-writing 94 names.

An operation's id follows from its path and method — `GET /contracts` is `listContracts`,
`GET /contracts/{contract_id}` `getContract`, `POST /contracts/{contract_id}/sign` `signContract`,
`POST /contracts/{contract_id}/claims` `createContractClaim` — unless its view names it with
`@blp.doc(operationId=...)` where the rule reads badly.
"""

from __future__ import annotations

import re
from functools import lru_cache

import inflect
from apispec import BasePlugin

from servicekit.web.pagination import LINK_HEADER
from servicekit.web.problems import PROBLEM_JSON

# Whom a company's developer writes to, and under which terms the documents are published: defaults
# for the city's programme office (API_CONTACT_NAME / API_CONTACT_EMAIL override them per deployment).
CONTACT_NAME = "Landeshauptstadt Stuttgart, Amt für Soziales und Teilhabe – WohnenPlus"
CONTACT_EMAIL = "wohnenplus@stuttgart.example"
LICENSE_NAME = "European Union Public Licence 1.2 (EUPL-1.2)"
LICENSE_SPDX = "EUPL-1.2"  # OpenAPI 3.1 names a licence by its SPDX identifier (instead of a url)
# 3.1 (JSON Schema 2020-12): a nullable nested object is `anyOf: [$ref, {type: null}]`, which
# generators turn into `Model | None`; 3.0's `anyOf: [{type: object, nullable: true}, $ref]` gave
# openapi-python-client an empty model that it tried first (no `.signed_at` on a signature).
OPENAPI_VERSION = "3.1.0"

VERB_FOR_ITEM = {"get": "get", "put": "set", "patch": "update", "delete": "delete"}
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


@lru_cache(maxsize=None)
def singular(word: str) -> str:
    if "." in word:  # a file name such as calendar.ics
        return word
    return inflect.engine().singular_noun(word) or word


def _camel(*words: str) -> str:
    parts = [p for w in words for p in re.split(r"[-_.]", w) if p]
    return parts[0].lower() + "".join(p[:1].upper() + p[1:] for p in parts[1:]) if parts else ""


def operation_id(method: str, path: str) -> str:
    """`listContracts`, `getContract`, `signContract`, `createContractClaim`, `getInboxUnreadCount`."""
    segments = [s for s in path.strip("/").split("/") if s and s not in ("api", "v1")]
    method = method.lower()
    if segments and segments[-1].startswith("{"):  # an item: /contracts/{id}, /claims/{id}/documents/{doc}
        names = [singular(s) for s in segments if not s.startswith("{")]
        return _camel(VERB_FOR_ITEM.get(method, method), *names)
    last = segments[-1] if segments else "root"
    before = [s for s in segments[:-1] if not s.startswith("{")]
    parent_is_item = len(segments) > 1 and segments[-2].startswith("{")
    is_collection = singular(last) != last
    if method == "get":
        return _camel("list" if is_collection else "get", *map(singular, before), last)
    if method == "post" and is_collection:
        return _camel("create", *map(singular, before), singular(last))
    if method == "post" and parent_is_item:  # an action on an item: /contracts/{id}/sign
        return _camel(last, *map(singular, before))
    if method == "post" and len(segments) > 2 and segments[-3].startswith("{"):  # /cases/{id}/risk/clear
        return _camel(last, *map(singular, [s for s in segments[:-2] if not s.startswith("{")]), segments[-2])
    return _camel(VERB_FOR_ITEM.get(method, method), *map(singular, before), last)


class CompanyReadyDocument(BasePlugin):
    """apispec plugin: operationId and description on every operation, a problem+json body on every
    error response that declares only a description (a 409 from `alt_response`), the Link header
    beside X-Pagination, and no null in a query parameter (`type: [X, null]`, `default: null`): an
    absent filter is no filter, and a query string cannot say null."""

    def operation_helper(self, path=None, operations=None, **kwargs) -> None:
        for method, operation in (operations or {}).items():
            if not isinstance(operation, dict):
                continue
            operation.setdefault("operationId", operation_id(method, path or ""))
            if not operation.get("description"):
                operation["description"] = operation.get("summary") or operation["operationId"]
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {}) if isinstance(parameter, dict) else {}
                if isinstance(schema.get("type"), list) and "null" in schema["type"]:
                    # a query string cannot say null: an absent filter is no filter
                    rest = [t for t in schema["type"] if t != "null"]
                    schema["type"] = rest[0] if len(rest) == 1 else rest
                if {"type": "null"} in schema.get("anyOf", []):
                    [only] = [branch for branch in schema.pop("anyOf") if branch != {"type": "null"}]
                    schema.update(only)
                if "default" in schema and schema["default"] is None:
                    del schema["default"]
            responses = operation.setdefault("responses", {})
            if "{" in (path or "") and "404" not in responses and 404 not in responses:
                # every item route answers 404 for an id that does not exist or that the caller may
                # not see (servicekit.web.security.ensure_visible); undeclared, a generated client
                # raises "unexpected status" instead of handing back the problem
                responses["404"] = {"description": "No such object (or no valid id), or one the caller may not see: "
                                                   "the same answer",
                                    "content": {PROBLEM_JSON: {"schema": PROBLEM_REF}}}
            for status, response in operation.get("responses", {}).items():
                if isinstance(response, dict) and "X-Pagination" in response.get("headers", {}):
                    response["headers"].setdefault("Link", LINK_HEADER)
                if (isinstance(response, dict) and "$ref" not in response and "content" not in response
                        and str(status)[:1] in ("4", "5")):
                    response["content"] = {PROBLEM_JSON: {"schema": PROBLEM_REF}}


def tidy_property(converter, field, ret: dict, **kwargs) -> dict:
    """marshmallow-plugin attribute function, run after apispec's own: `nullable` only beside a
    `type` (a Method field has none, and OpenAPI 3.0 forbids the pair; under 3.1 apispec writes
    `type: [X, "null"]` instead and this never applies), and no `default: null` on an enum that
    does not list null (Redocly `nullable-type-sibling`, Spectral's example check)."""
    if ret.get("nullable") and "type" not in ret:
        del ret["nullable"]
    if "enum" in ret and isinstance(ret.get("type"), list) and "null" in ret["type"]:
        # A nullable enum as `anyOf: [{type, enum}, {type: null}]`: generators then make it
        # `TheEnum | None` (from `type: [string, null]` beside an enum holding null,
        # openapi-python-client made three enum classes for one field).
        types = [t for t in ret.pop("type") if t != "null"]
        values = [v for v in ret.pop("enum") if v is not None]
        ret["anyOf"] = [{"type": types[0] if len(types) == 1 else types, "enum": values}, {"type": "null"}]
    if "default" in ret and ret["default"] is None and None not in ret.get("enum", [None]):
        del ret["default"]
    return {}


def install(api) -> None:
    api.ma_plugin.converter.add_attribute_function(tidy_property)
