"""Object- and function-level authorization, generated from the four OpenAPI documents.

- every operation states who may use it (`x-required-roles`), or is listed in PUBLIC with why;
- every role is refused (403/404, never 2xx) by every operation it is not admitted to, and a request
  without a token by every guarded one (401);
- company A's token against every operation that takes a company's object, filled with company B's
  real objects: 403/404, never 2xx — and, as the control, A's own objects can be read;
- list operations filtered by company B's ids answer none of B's objects to company A.

The requests go to extra web processes of the running system (same databases, rates off: the matrix
sends far more requests per second than a company may).
"""

from __future__ import annotations

import itertools
import json
import uuid


from conftest import ROLES
from operations import PUBLIC, Operation, operations

# Path parameters naming a company's own objects: every value company B owns.
OWNED = {
    "company_id": lambda c: [c.id],
    "flat_id": lambda c: [c.flat["id"], c.open_flat["id"]],
    "proposal_id": lambda c: [c.proposal["id"], c.open_proposal["id"]],
    "household_id": lambda c: [c.household["id"], c.open_household["id"]],
    "contract_id": lambda c: [c.contract["id"]],
    "claim_id": lambda c: [c.claim["id"]],
    "document_id": lambda c: [c.claim["documents"][0]["id"]],
    "incident_id": lambda c: [c.incident["id"]],
    "case_id": lambda c: [c.case["id"]],
    "appointment_id": lambda c: [c.appointment["id"]],
    "notification_id": lambda c: [c.notification["id"]],
}
# Path parameters naming objects no company owns.
SHARED = {
    "caseworker_id": lambda w: w.caseworker["id"],
    "absence_id": lambda w: w.absence["id"],
    "run_id": lambda w: str(uuid.uuid4()),
    "role": lambda w: "staff",
}
# Reads whose answer for the owner is not 200 by design (the control below skips them).
OWNER_READ_NOT_200 = {
    ("notifications", "/api/v1/companies/{company_id}/webhook"): "company A registered no webhook",
}


def _values(world, company, op: Operation) -> dict[str, str]:
    """Path values: `company`'s objects where the parameter names an owned object."""
    values = {}
    for name in op.path_params:
        values[name] = OWNED[name](company)[0] if name in OWNED else SHARED[name](world)
    if "document_id" in values:
        values["claim_id"] = company.claim["id"]
    return values


def test_every_operation_states_who_may_use_it(specs):
    ops = operations(specs)
    assert len(ops) >= 80, "the four documents list far fewer operations than the services have"
    unguarded = [str(op) for op in ops if op.roles is None and (op.service, op.method, op.path) not in PUBLIC]
    assert unguarded == [], "operations without `requires(...)`; guard them or list them in PUBLIC with why"
    unknown = {str(op): op.roles - set(ROLES) for op in ops if op.roles and op.roles - set(ROLES)}
    assert unknown == {}


def test_every_path_parameter_names_objects_the_matrix_can_fill(specs):
    missing = {f"{op}: {name}" for op in operations(specs) for name in op.path_params
               if name not in OWNED and name not in SHARED}
    assert missing == set(), "a new kind of id: tell the matrix whose objects it names (OWNED or SHARED)"


def test_every_role_is_refused_where_it_is_not_admitted(world, specs, unlimited_api):
    wrong, tried = [], 0
    for op in operations(specs):
        if op.roles is None:
            continue
        path = op.url_path(_values(world, world.a, op))
        body = op.body()
        anonymous = unlimited_api.call(op.method.upper(), op.service, path, json=body)
        if anonymous.status_code != 401:
            wrong.append((str(op), "no token", anonymous.status_code))
        for role in sorted(set(ROLES) - op.roles):
            tried += 1
            response = unlimited_api.call(op.method.upper(), op.service, path, world.token(role), json=body)
            if response.status_code not in (403, 404):
                wrong.append((str(op), role, response.status_code, response.text[:200]))
    print(f"role matrix: {tried} (operation, role) pairs refused as they should be")
    assert tried > 250
    assert wrong == []


def test_company_a_reaches_none_of_company_b_objects(world, specs, unlimited_api):
    wrong, tried = [], 0
    company_ops = [op for op in operations(specs) if op.roles and "company" in op.roles
                   and any(name in OWNED for name in op.path_params)]
    for op in company_ops:
        owned = [name for name in op.path_params if name in OWNED]
        for combination in itertools.product(*(OWNED[name](world.b) for name in owned)):
            values = {**_values(world, world.b, op), **dict(zip(owned, combination))}
            tried += 1
            response = unlimited_api.call(op.method.upper(), op.service, op.url_path(values), world.a.token,
                                       json=op.body())
            if response.status_code not in (403, 404):
                hint = " (give it a valid body in operations.BODIES)" if response.status_code == 422 else ""
                wrong.append((str(op), values, response.status_code, response.text[:200] + hint))
        if op.method == "get" and (op.service, op.path) not in OWNER_READ_NOT_200:
            own = unlimited_api.call("GET", op.service, op.url_path(_values(world, world.a, op)), world.a.token)
            if own.status_code != 200:
                wrong.append((str(op), "company A's own object", own.status_code, own.text[:200]))
    print(f"cross-company: {len(company_ops)} operations, {tried} requests with company B's objects")
    assert len(company_ops) >= 20 and wrong == []


def test_id_filters_on_lists_show_company_a_nothing_of_company_b(world, specs, unlimited_api):
    b_ids = world.b.object_ids()
    leaks, tried = [], 0
    lists = [op for op in operations(specs) if op.method == "get" and op.roles and "company" in op.roles
             and not op.path_params]
    for op in lists:
        filters = {name: OWNED[name](world.b)[0] for name in op.query_params if name in OWNED}
        for query in ({}, filters) if filters else ({},):
            tried += 1
            response = unlimited_api.call("GET", op.service, op.path, world.a.token, params={**query, "page_size": 100})
            assert response.status_code in (200, 404, 422), (str(op), response.status_code, response.text[:200])
            text = response.text
            found = sorted(i for i in b_ids if i in text)
            if found:
                leaks.append((str(op), query, found))
    print(f"lists: {len(lists)} operations, {tried} requests")
    assert tried >= len(lists) and leaks == []


def test_company_b_objects_never_appear_in_company_a_answers(world, specs, unlimited_api):
    """Every read company A may make, on A's own objects: no id of company B in any answer."""
    b_ids = world.b.object_ids()
    leaks = []
    for op in operations(specs):
        if op.method != "get" or not op.roles or "company" not in op.roles:
            continue
        response = unlimited_api.call("GET", op.service, op.url_path(_values(world, world.a, op)), world.a.token)
        body = response.text if "json" in response.headers.get("Content-Type", "") else ""
        leaks += [(str(op), i) for i in b_ids if i in body]
    assert leaks == [], json.dumps(leaks)


def test_a_caseworker_reaches_no_case_they_do_not_work_on(world, specs, unlimited_api):
    """The same matrix one level down: a registered caseworker with no cases, against company A's case,
    its appointment and another caseworker's calendar, absences and appointments."""
    admin = world.token("admin")
    stranger = unlimited_api.post("support", "/caseworkers", admin, {
        "name": "Unbeteiligt", "email": f"unbeteiligt-{uuid.uuid4().hex[:6]}@stuttgart.example"}, expect=201)
    token = world.system.token("caseworker", sub=stranger["id"])
    values = {"case_id": world.a.case["id"], "appointment_id": world.a.appointment["id"],
              "caseworker_id": world.caseworker["id"], "absence_id": world.absence["id"]}
    wrong, tried = [], 0
    for op in operations(specs):
        if not op.roles or "caseworker" not in op.roles or not op.path_params \
                or any(p not in values for p in op.path_params):
            continue
        tried += 1
        response = unlimited_api.call(op.method.upper(), op.service, op.url_path(values), token, json=op.body())
        if response.status_code not in (403, 404):
            wrong.append((str(op), response.status_code, response.text[:200]))
    assert tried >= 10 and wrong == []
