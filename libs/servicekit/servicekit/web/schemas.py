"""Schemas every API shares: the problem document and pagination helpers."""

from __future__ import annotations

from marshmallow import INCLUDE, Schema, fields


class ProblemSchema(Schema):
    class Meta:
        # RFC 9457 §3.2: a problem type may add members of its own (e.g. a lease's list of `problems`).
        unknown = INCLUDE

    type = fields.String(metadata={"example": "about:blank"})
    title = fields.String(required=True, metadata={"example": "Unprocessable Content"})
    status = fields.Integer(required=True, metadata={"example": 422})
    detail = fields.String(metadata={"example": "The request has invalid fields: district."})
    instance = fields.String(metadata={"example": "/api/v1/flats"})
    errors = fields.Dict(metadata={"description": "Field errors by location (json, query, path) and field name"})
