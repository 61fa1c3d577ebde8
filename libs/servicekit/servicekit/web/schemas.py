"""Schemas every API shares: the problem document and pagination helpers."""

from __future__ import annotations

from marshmallow import Schema, fields


class ProblemSchema(Schema):
    type = fields.String(metadata={"example": "about:blank"})
    title = fields.String(required=True, metadata={"example": "Unprocessable Content"})
    status = fields.Integer(required=True, metadata={"example": 422})
    detail = fields.String(metadata={"example": "The request has invalid fields: district."})
    instance = fields.String(metadata={"example": "/api/v1/flats"})
    errors = fields.Dict(metadata={"description": "Field errors by location (json, query, path) and field name"})
