"""A claim filed as JSON (evidence base64 inside) or as `multipart/form-data` (evidence as file parts,
what a company's document system or a browser form sends): one operation, two request bodies, the
same rules and the same answers.

Errors of a multipart request name the form part in `errors.form.<part>`, as JSON errors name the
field in `errors.json.<field>`. Retrying with an `Idempotency-Key` compares what was sent (fields and
each file's name, type and hash), not the raw body: an upload tool picks a new multipart boundary on
every attempt.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from flask import request
from flask_smorest import Blueprint, abort
from marshmallow import ValidationError

from contracts.domain import RuleViolation
from contracts.domain.evidence import ALLOWED_CONTENT_TYPES, REQUIRED, EvidenceKind
from contracts.schemas import ClaimIn, ClaimUploadIn

MULTIPART = "multipart/form-data"
_EVIDENCE_PARTS = frozenset(k.value for k in EvidenceKind)

REQUEST_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": ClaimIn},
        MULTIPART: {"schema": ClaimUploadIn, "encoding": {
            part: {"contentType": ", ".join(sorted(ALLOWED_CONTENT_TYPES | {"application/octet-stream"}))}
            for part in sorted(_EVIDENCE_PARTS)}},
    },
}


def is_multipart() -> bool:
    return request.mimetype == MULTIPART


def claim_body(blueprint: Blueprint) -> dict[str, Any]:
    """The claim as `ClaimIn` loads it, from whichever body the request has."""
    if not is_multipart():
        # the same parser the blueprint's `arguments` uses: identical answers for JSON as before
        return blueprint.ARGUMENTS_PARSER.parse(ClaimIn, request, location="json")
    form: dict[str, Any] = {}
    for name in set(request.form) | set(request.files):
        # a browser sends an empty file input as a part without filename or content: no file chosen
        files = [f for f in request.files.getlist(name) if f.filename or not _empty(f)]
        values = [*request.form.getlist(name), *files]
        if name in _EVIDENCE_PARTS:
            form[name] = values
        elif len(values) == 1:
            form[name] = values[0]
        elif values:
            form[name] = values  # the field's own check refuses a list ("Not a valid ...")
    try:
        return ClaimUploadIn().load(form)
    except ValidationError as exc:
        abort(422, messages={"form": exc.messages})


def _empty(part) -> bool:
    empty = not part.stream.read(1)
    part.stream.seek(0)
    return empty


def fingerprint(data: dict[str, Any]) -> bytes | None:
    """What identifies a multipart request for `Idempotency-Key` (None: the raw JSON body does)."""
    if not is_multipart():
        return None
    period = data["period"]
    return json.dumps({
        "kind": data["kind"], "amount_cents": data["amount_cents"], "description": data["description"],
        "period": [str(period.first), str(period.last)] if period else None,
        "evidence": [[u.kind, u.filename, u.content_type, hashlib.sha256(u.content).hexdigest()]
                     for u in data["evidence"]],
    }, sort_keys=True).encode()


def name_the_part(exc: RuleViolation, kind) -> RuleViolation:
    """A multipart request has no `evidence` field: a rule about the evidence names the part to add."""
    if is_multipart() and exc.field == "evidence":
        exc.field = REQUIRED[kind].value if exc.code == "claim.evidence_missing" else exc.field
    return exc
