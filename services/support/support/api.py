"""HTTP API of support: thin views over the service layer."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Api, Blueprint
from sqlalchemy import select

from servicekit.errors import Conflict
from servicekit.web import requires, uow
from servicekit.web.pagination import page_of

from support.models import Caseworker, SupportCase
from support.schemas import CaseOut, CaseworkerIn, CaseworkerOut

caseworkers = Blueprint("caseworkers", __name__, url_prefix="/api/v1/caseworkers",
                        description="Contact persons and social workers")
cases = Blueprint("cases", __name__, url_prefix="/api/v1/cases", description="Support cases, one per tenancy")


@caseworkers.route("")
class Caseworkers(MethodView):
    @requires("admin")
    @caseworkers.arguments(CaseworkerIn)
    @caseworkers.response(201, CaseworkerOut)
    def post(self, data):
        """Register a caseworker (admin)."""
        with uow() as unit:
            if unit.session.scalar(select(Caseworker.id).where(Caseworker.email == data["email"])):
                raise Conflict("A caseworker with this email is already registered.")
            caseworker = Caseworker(**data, registered_at=unit.now())
            unit.session.add(caseworker)
            unit.session.flush()
            unit.publish("support.caseworker.registered",
                         {"caseworker_id": caseworker.id, "name": caseworker.name, "email": caseworker.email})
            unit.audit("caseworker", caseworker.id, "registered")
            unit.commit()
            return caseworker


@cases.route("")
class Cases(MethodView):
    @requires("staff", "admin")
    @cases.response(200, CaseOut(many=True))
    @cases.paginate()
    def get(self, pagination_parameters):
        """Support cases, newest first."""
        with uow() as unit:
            return page_of(unit.session, select(SupportCase).order_by(SupportCase.opened_at.desc()),
                           pagination_parameters)


def register(api: Api) -> None:
    api.register_blueprint(caseworkers)
    api.register_blueprint(cases)
