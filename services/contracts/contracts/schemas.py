"""Request and response schemas (marshmallow); flask-smorest turns them into the OpenAPI document."""

from marshmallow import Schema, fields, validate


class CompanyIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    email = fields.Email(required=True)


class CompanyOut(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    email = fields.String(required=True)
    registered_at = fields.DateTime(required=True)


class TenancyOut(Schema):
    id = fields.String(required=True)
    proposal_id = fields.String(required=True)
    household_id = fields.String(required=True)
    company_id = fields.String(required=True)
    flat_id = fields.String(required=True)
    lease_start = fields.Date(required=True)
    cold_rent_cents = fields.Integer(required=True)
    service_charges_cents = fields.Integer(required=True)


class TenancyEvent(Schema):
    """What contracts reads from `matching.tenancy.agreed` (its own view of matching's event)."""

    class Meta:
        unknown = "exclude"

    proposal_id = fields.String(required=True)
    flat_id = fields.String(required=True)
    household_id = fields.String(required=True)
    company_id = fields.String(required=True)
    lease_start = fields.Date(required=True)
    cold_rent_cents = fields.Integer(required=True, validate=validate.Range(min=0))
    service_charges_cents = fields.Integer(required=True, validate=validate.Range(min=0))
