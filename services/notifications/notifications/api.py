"""HTTP API of notifications: thin views over the service layer."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Api, Blueprint
from sqlalchemy import select

from servicekit.web import requires, uow
from servicekit.web.pagination import page_of

from notifications.models import Notification
from notifications.schemas import NotificationOut, NotificationQuery

notifications = Blueprint("notifications", __name__, url_prefix="/api/v1/notifications",
                          description="Every message sent, with its delivery state (staff view)")


@notifications.route("")
class Notifications(MethodView):
    @requires("staff", "admin")
    @notifications.arguments(NotificationQuery, location="query")
    @notifications.response(200, NotificationOut(many=True))
    @notifications.paginate()
    def get(self, query, pagination_parameters):
        """Notifications, newest first, filtered by event type or recipient."""
        stmt = select(Notification).order_by(Notification.created_at.desc())
        if "event_type" in query:
            stmt = stmt.where(Notification.event_type == query["event_type"])
        if "recipient" in query:
            stmt = stmt.where(Notification.recipient == query["recipient"])
        with uow() as unit:
            return page_of(unit.session, stmt, pagination_parameters)


def register(api: Api) -> None:
    api.register_blueprint(notifications)
