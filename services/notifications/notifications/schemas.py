"""Request and response schemas (marshmallow); flask-smorest turns them into the OpenAPI document."""

from marshmallow import Schema, fields, validate


class NotificationOut(Schema):
    id = fields.String(required=True)
    event_id = fields.String(required=True)
    event_type = fields.String(required=True)
    recipient = fields.String(required=True)
    channel = fields.String(required=True)
    subject = fields.String(required=True)
    body = fields.String(required=True)
    state = fields.String(required=True)
    created_at = fields.DateTime(required=True)


class NotificationQuery(Schema):
    event_type = fields.String(validate=validate.Length(max=120))
    recipient = fields.String(validate=validate.Length(max=120))


class ReferralEvent(Schema):
    class Meta:
        unknown = "exclude"

    household_id = fields.String(required=True)
    size = fields.Integer(required=True)
    urgency = fields.String(required=True)
