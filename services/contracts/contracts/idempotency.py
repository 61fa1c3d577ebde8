"""`Idempotency-Key` for the POSTs companies retry (filing claims, reporting incidents).

A company whose request timed out cannot know whether its claim was filed; sending the same request
again with the same key returns the first answer instead of filing twice. The key is stored in the
same transaction as the effect, so "answered" and "done" cannot disagree. Keys are per caller
(company, or token subject for staff) and kept for the retry window (`RETENTION_IDEMPOTENCY_KEYS_DAYS`,
7 days: the stored answer repeats the claim's text), then the retention job deletes them; reusing a
key for a different request is refused with 422.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any, Callable

from flask import Response, request
from sqlalchemy.exc import IntegrityError

from servicekit.errors import Unprocessable
from servicekit.web import current_principal, uow

from contracts.models import IdempotencyKey

HEADER = "Idempotency-Key"
_KEY = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")

HEADER_DOC = {
    "name": HEADER,
    "in": "header",
    "required": False,
    "schema": {"type": "string", "pattern": _KEY.pattern},
    "description": "Optional, 8-64 characters (e.g. a UUID). Retrying with the same key and body returns the "
                   "first answer (header `Idempotent-Replayed: true`) instead of acting twice.",
}


def _invalid(detail: str) -> Unprocessable:
    problem = Unprocessable(detail)
    problem.errors = {"headers": {HEADER: [detail]}}
    return problem


def _json(body: Any, status: int, replayed: bool) -> Response:
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json")
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


def run(status: int, act: Callable[[Any], Any], dump: Callable[[Any], dict], *,
        fingerprint: bytes | None = None) -> Response | Any:
    """Run `act(unit)` (which must not commit) under the request's idempotency key, if any.
    `fingerprint` stands for the body when its raw bytes differ between identical requests
    (a multipart boundary); by default the raw body identifies the request."""
    key = request.headers.get(HEADER)
    if key is None:
        with uow() as unit:
            result = act(unit)
            unit.commit()
            return _json(dump(result), status, False)
    if not _KEY.match(key):
        raise _invalid("Idempotency-Key must be 8-64 letters, digits or . _ : -")
    principal = current_principal()
    scope = f"company:{principal.company_id}" if principal.is_company else f"sub:{principal.sub}"
    body = request.get_data() if fingerprint is None else fingerprint
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode() + body).hexdigest()

    def replay(stored: IdempotencyKey) -> Response:
        if stored.request_hash != digest:
            raise _invalid("This Idempotency-Key was used for a different request.")
        return _json(stored.body, stored.status, True)

    with uow() as unit:
        stored = unit.session.get(IdempotencyKey, (scope, key))
        if stored is not None:
            return replay(stored)
        body = dump(act(unit))
        unit.session.add(IdempotencyKey(scope=scope, key=key, request_hash=digest, status=status, body=body,
                                        created_at=unit.now()))
        try:
            unit.commit()
        except IntegrityError:
            unit.rollback()  # the same key won a race a moment ago: answer what it answered
        else:
            return _json(body, status, False)
    with uow() as unit:
        return replay(unit.session.get(IdempotencyKey, (scope, key)))
