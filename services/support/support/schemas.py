"""Request and response schemas (marshmallow); flask-smorest turns them into the OpenAPI document."""

from marshmallow import Schema, fields, validate


class CaseworkerIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    email = fields.Email(required=True)


class CaseworkerOut(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    email = fields.String(required=True)
    registered_at = fields.DateTime(required=True)


class CaseOut(Schema):
    id = fields.String(required=True)
    household_id = fields.String(required=True)
    company_id = fields.String(required=True)
    status = fields.String(required=True)
    opened_at = fields.DateTime(required=True)


class TenancyEvent(Schema):
    """What support reads from `matching.tenancy.agreed` (its own view of matching's event)."""

    class Meta:
        unknown = "exclude"

    proposal_id = fields.String(required=True)
    household_id = fields.String(required=True)
    company_id = fields.String(required=True)
