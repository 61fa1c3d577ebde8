"""HTTP API of notifications: views that translate requests into use cases (`notifications.usecases`)
and queries, and their results into responses. Domain errors become problem+json in the app factory."""

from __future__ import annotations

import uuid

from flask.views import MethodView
from flask_smorest import Api, Blueprint
from sqlalchemy import func, select
from sqlalchemy.orm import defer, selectinload

from servicekit.errors import NotFound
from servicekit.web import current_principal, requires, uow
from servicekit.web.pagination import page_of

from notifications.domain.catalogue import MAILBOXES
from notifications.models import Notification, WebhookEndpoint
from notifications.schemas import (
    InboxItemOut,
    InboxQuery,
    MailboxIn,
    MailboxOut,
    NotificationDetailOut,
    NotificationOut,
    NotificationQuery,
    UnreadCountOut,
    WebhookIn,
    WebhookOut,
)
from notifications.usecases import deliveries, directory, inbox as inbox_messages, webhooks as endpoints

EVERYONE = ("company", "caseworker", "staff", "finance", "admin")

notifications = Blueprint("notifications", __name__, url_prefix="/api/v1/notifications",
                          description="Every message sent, with its delivery state (staff view)")
inbox = Blueprint("inbox", __name__, url_prefix="/api/v1/inbox",
                  description="The caller's own messages: a company's, a caseworker's, a team mailbox's")
webhooks = Blueprint("webhooks", __name__, url_prefix="/api/v1/companies",
                     description="A company's webhook endpoint: signed JSON POSTs instead of polling")
mailboxes = Blueprint("mailboxes", __name__, url_prefix="/api/v1/mailboxes",
                      description="Shared mailboxes of the social office (staff, finance, operators)")


# --- staff view --------------------------------------------------------------------------------

# The list shows no text: decrypting it for every row of a page would be wasted work.
LIST_DEFERRED = [defer(Notification.body), defer(Notification.html), defer(Notification.payload)]


@notifications.route("")
class Notifications(MethodView):
    @requires("staff", "admin")
    @notifications.arguments(NotificationQuery, location="query")
    @notifications.response(200, NotificationOut(many=True))
    @notifications.paginate()
    def get(self, query, pagination_parameters):
        """Notifications, newest first, filtered by recipient, event type, state or channel."""
        stmt = select(Notification).options(*LIST_DEFERRED).order_by(Notification.created_at.desc(), Notification.id)
        for name in ("event_type", "recipient", "state", "channel", "household_id"):
            if name in query:
                stmt = stmt.where(getattr(Notification, name) == query[name])
        with uow() as unit:
            page = page_of(unit.session, stmt, pagination_parameters)
        return page


def _notification(unit, notification_id: str) -> Notification:
    note = unit.session.get(Notification, notification_id, options=[selectinload(Notification.history)])
    if note is None:
        raise NotFound("No notification with this id.")
    return note


@notifications.route("/<notification_id>")
class NotificationDetail(MethodView):
    @requires("staff", "admin")
    @notifications.response(200, NotificationDetailOut)
    def get(self, notification_id):
        """One notification with every delivery attempt; staff also get its text (a logged read)."""
        with uow() as unit:
            note = _notification(unit, notification_id)
        return note


@notifications.route("/<notification_id>/redeliver")
class Redeliver(MethodView):
    @requires("staff", "admin")
    @notifications.response(202, NotificationOut)
    def post(self, notification_id):
        """Start a fresh round of attempts for a failed email or webhook."""
        with uow() as unit:
            note = deliveries.redeliver(unit, notification_id)
            unit.commit()
        return note


# --- inbox ---------------------------------------------------------------------------------------


@inbox.route("")
class Inbox(MethodView):
    @requires(*EVERYONE)
    @inbox.arguments(InboxQuery, location="query")
    @inbox.response(200, InboxItemOut(many=True))
    @inbox.paginate()
    def get(self, query, pagination_parameters):
        """The caller's messages, newest first."""
        stmt = (inbox_messages.messages(current_principal())
                .options(defer(Notification.html), defer(Notification.payload))
                .order_by(Notification.created_at.desc(), Notification.id))
        if query.get("unread"):
            stmt = stmt.where(Notification.read_at.is_(None))
        with uow() as unit:
            page = page_of(unit.session, stmt, pagination_parameters)
        return page


@inbox.route("/unread-count")
class UnreadCount(MethodView):
    @requires(*EVERYONE)
    @inbox.response(200, UnreadCountOut)
    def get(self):
        """How many of the caller's messages are unread."""
        stmt = inbox_messages.messages(current_principal()).where(Notification.read_at.is_(None))
        with uow() as unit:
            return {"unread": unit.session.scalar(select(func.count()).select_from(stmt.subquery()))}


@inbox.route("/<notification_id>/read")
class MarkRead(MethodView):
    @requires(*EVERYONE)
    @inbox.response(200, InboxItemOut)
    def post(self, notification_id):
        """Mark one of the caller's messages read (again: no change)."""
        with uow() as unit:
            note = inbox_messages.mark_read(unit, current_principal(), notification_id)
            unit.commit()
        return note


# --- webhooks ------------------------------------------------------------------------------------


def _own_company(company_id: str) -> str:
    """Another company's id answers 404, like an unknown one or one that is not a UUID (what
    company ids are); returns the id in its canonical spelling."""
    try:
        company_id = str(uuid.UUID(company_id))
    except ValueError:
        raise NotFound("No webhook for this company.") from None
    principal = current_principal()
    if principal.is_company and principal.company_id != company_id:
        raise NotFound("No webhook for this company.")
    return company_id


def _endpoint(unit, company_id: str) -> WebhookEndpoint:
    return endpoints.endpoint_of(unit, _own_company(company_id))


def _out(endpoint: WebhookEndpoint, secret: str | None = None) -> dict:
    out = {c: getattr(endpoint, c) for c in ("company_id", "url", "created_at", "updated_at",
                                             "previous_secret_expires_at", "legacy_signature")}
    if secret:
        out["secret"] = secret
    return out


@webhooks.route("/<company_id>/webhook")
class Webhook(MethodView):
    @requires("company", "staff", "admin")
    @webhooks.response(200, WebhookOut)
    def get(self, company_id):
        """The company's endpoint (without its secret)."""
        with uow() as unit:
            return _out(_endpoint(unit, company_id))

    @requires("company", "admin")
    @webhooks.arguments(WebhookIn)
    @webhooks.response(200, WebhookOut)
    def put(self, body, company_id):
        """Register the endpoint (answers the new secret once) or change its URL (secret kept)."""
        company_id = _own_company(company_id)
        with uow() as unit:
            endpoint, secret = endpoints.register_webhook(unit, company_id, body["url"].strip())
            unit.commit()
            return _out(endpoint, secret)

    @requires("company", "admin")
    @webhooks.response(204)
    def delete(self, company_id):
        """Stop webhooks for the company; pending ones fail as 'endpoint removed'."""
        company_id = _own_company(company_id)
        with uow() as unit:
            endpoints.remove_webhook(unit, company_id)
            unit.commit()


@webhooks.route("/<company_id>/webhook/rotate-secret")
class RotateSecret(MethodView):
    @requires("company", "admin")
    @webhooks.response(200, WebhookOut)
    def post(self, company_id):
        """A new signing secret; the old one also signs until `previous_secret_expires_at`."""
        with uow() as unit:
            endpoint = _endpoint(unit, company_id)
            secret = endpoints.rotate_secret(unit, endpoint)
            unit.commit()
            return _out(endpoint, secret)


# --- mailboxes -----------------------------------------------------------------------------------


@mailboxes.route("")
class Mailboxes(MethodView):
    @requires("staff", "admin")
    @mailboxes.response(200, MailboxOut(many=True))
    def get(self):
        """The shared mailboxes and where their email goes."""
        with uow() as unit:
            return [directory.mailbox(unit, role) for role in MAILBOXES]


@mailboxes.route("/<role>")
class Mailbox(MethodView):
    @requires("admin")
    @mailboxes.arguments(MailboxIn)
    @mailboxes.response(200, MailboxOut)
    def put(self, body, role):
        """Change where a shared mailbox's email goes."""
        with uow() as unit:
            directory.change_mailbox(unit, role, body["email"], body.get("name"))
            unit.commit()
            return directory.mailbox(unit, role)


def register(api: Api) -> None:
    for blueprint in (notifications, inbox, webhooks, mailboxes):
        api.register_blueprint(blueprint)
