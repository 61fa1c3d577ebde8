"""Request and response schemas (marshmallow); flask-smorest turns them into the OpenAPI document."""

from marshmallow import Schema, ValidationError, fields, validate, validates

from servicekit.privacy import ALL, PurposeBoundSchema, Views

from notifications import runtime as rt
from notifications.domain.addresses import InvalidEmailAddress, parse_email_address
from notifications.domain.catalogue import MAILBOXES, Channel
from notifications.domain.delivery import DeliveryStatus
from notifications.domain.destinations import system_resolver
from notifications.domain.webhooks import InvalidWebhookUrl, validate_webhook_url

CHANNELS = tuple(channel.value for channel in Channel)
STATES = tuple(status.value for status in DeliveryStatus)


# What operators (admin) need to keep delivery running: state, attempts, reasons, no contents.
DELIVERY_STATUS = ("event_id", "event_type", "recipient", "household_id", "role", "channel", "state", "attempts",
                   "next_attempt_at", "last_error", "delivered_at", "read_at", "fallback", "created_at", "erased_at")


class NotificationOut(PurposeBoundSchema):
    """The staff list: delivery state and subject, not the text. Staff follow whether a message
    went out; the text (with the address it went to) is one click further, and that read is logged."""

    views = Views(staff=ALL, admin=DELIVERY_STATUS)
    household_key = "household_id"
    # what the log counts as the household's data: operators see delivery state only, not logged
    household_fields = frozenset({"subject", "body", "payload", "destination", "recipient_name"})

    id = fields.String(required=True)
    event_id = fields.String(required=True)
    event_type = fields.String(required=True)
    recipient = fields.String(required=True, metadata={"example": "company:7f1c2a4e-..."})
    household_id = fields.String(allow_none=True, metadata={"description": "the household the message is to or about"})
    role = fields.String(allow_none=True)
    channel = fields.String(required=True, metadata={"enum": list(CHANNELS)})
    subject = fields.String(required=True, metadata={"description": "staff only"})
    state = fields.String(required=True, metadata={"enum": list(STATES)})
    attempts = fields.Integer()
    next_attempt_at = fields.DateTime(allow_none=True)
    last_error = fields.String(allow_none=True)
    delivered_at = fields.DateTime(allow_none=True)
    read_at = fields.DateTime(allow_none=True)
    fallback = fields.Boolean(metadata={"description": "the staff mailbox stood in for an unknown contact person"})
    created_at = fields.DateTime(required=True)
    erased_at = fields.DateTime(allow_none=True, metadata={"description": "when the contents were erased"})


class AttemptOut(Schema):
    number = fields.Integer(required=True)
    at = fields.DateTime(required=True)
    ok = fields.Boolean(required=True)
    error = fields.String(allow_none=True)
    duration_ms = fields.Integer(required=True)


class NotificationDetailOut(NotificationOut):
    """One message with its text and every attempt: staff see all of it (logged in the access
    log), operators the attempts without the contents."""

    views = Views(staff=ALL, admin=(*DELIVERY_STATUS, "history"))

    body = fields.String(required=True, metadata={"description": "staff only"})
    payload = fields.String(allow_none=True, metadata={"description": "the webhook body sent; staff only"})
    destination = fields.String(allow_none=True, metadata={"description": "email address used; staff only"})
    recipient_name = fields.String(allow_none=True, metadata={"description": "name in the greeting; staff only"})
    history = fields.List(fields.Nested(AttemptOut), required=True)


class NotificationQuery(Schema):
    household_id = fields.String(validate=validate.Length(max=36))
    event_type = fields.String(validate=validate.Length(max=120))
    recipient = fields.String(validate=validate.Length(max=120))
    state = fields.String(validate=validate.OneOf(STATES))
    channel = fields.String(validate=validate.OneOf(CHANNELS))


class InboxItemOut(PurposeBoundSchema):
    """A message in the caller's own inbox, whole: the route's field whitelist already decided what
    this recipient may learn (a company never sees urgency or the household's situation)."""

    household_key = "household_id"

    id = fields.String(required=True)
    event_type = fields.String(required=True)
    subject = fields.String(required=True)
    body = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    read_at = fields.DateTime(allow_none=True)
    read = fields.Function(lambda n: n.read_at is not None, dump_only=True)


class InboxQuery(Schema):
    unread = fields.Boolean(metadata={"description": "only unread messages"})


class UnreadCountOut(Schema):
    unread = fields.Integer(required=True)


class WebhookIn(Schema):
    url = fields.String(required=True, metadata={"example": "https://hooks.example-wohnbau.de/wohnenplus"})

    @validates("url")
    def _valid_url(self, value: str, **_kwargs) -> None:
        try:
            validate_webhook_url(value, allowed=rt.webhook_allowed_hosts(), resolve=system_resolver)
        except InvalidWebhookUrl as error:
            raise ValidationError(str(error)) from None


class WebhookOut(Schema):
    company_id = fields.String(required=True)
    url = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    previous_secret_expires_at = fields.DateTime(
        allow_none=True, metadata={"description": "until then the old secret also signs"}
    )
    secret = fields.String(
        metadata={"description": "shown once, when created or rotated: a Standard Webhooks secret "
                                 "(`whsec_` + base64 of 32 random bytes) for any standardwebhooks library",
                  "example": "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}
    )
    signature_scheme = fields.Constant("standard-webhooks", metadata={
        "description": "headers webhook-id, webhook-timestamp, webhook-signature (v1,<base64>); "
                       "the payloads are described in the service's webhooks.yaml (OpenAPI 3.1)"})
    signature_header = fields.Constant("webhook-signature")
    timestamp_header = fields.Constant("webhook-timestamp")
    legacy_signature = fields.Boolean(metadata={
        "description": "registered before Standard Webhooks: deliveries also carry the former "
                       "X-WohnenPlus-* headers until the secret is rotated"})


class MailboxIn(Schema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    email = fields.String(required=True)

    @validates("email")
    def _valid_email(self, value: str, **_kwargs) -> None:
        try:
            parse_email_address(value)
        except InvalidEmailAddress as error:
            raise ValidationError(f"not a valid email address: {error}") from None


class MailboxOut(Schema):
    role = fields.String(required=True, metadata={"enum": list(MAILBOXES)})
    name = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
