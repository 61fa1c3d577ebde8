"""Request and response schemas (marshmallow); flask-smorest turns them into the OpenAPI document."""

from marshmallow import Schema, fields, validate

URGENCIES = ("emergency_accommodation", "threatened_homelessness", "inadequate_housing")


class HouseholdIn(Schema):
    referral_no = fields.String(required=True, validate=validate.Length(min=1, max=40))
    adults = fields.Integer(required=True, validate=validate.Range(min=1, max=12))
    children = fields.Integer(load_default=0, validate=validate.Range(min=0, max=15))
    urgency = fields.String(required=True, validate=validate.OneOf(URGENCIES))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    email = fields.Email(load_default=None, allow_none=True)
    phone = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))


class HouseholdOut(Schema):
    id = fields.String(required=True)
    referral_no = fields.String(required=True)
    adults = fields.Integer(required=True)
    children = fields.Integer(required=True)
    size = fields.Integer(required=True)
    urgency = fields.String(required=True)
    status = fields.String(required=True)
    name = fields.String(required=True)
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    referred_at = fields.DateTime(required=True)
