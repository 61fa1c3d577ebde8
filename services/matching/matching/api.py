"""HTTP API of matching: thin views over the service layer."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Api, Blueprint
from sqlalchemy import select

from servicekit.errors import Conflict
from servicekit.web import ensure_visible, requires, uow

from matching.models import Household
from matching.schemas import HouseholdIn, HouseholdOut

households = Blueprint("households", __name__, url_prefix="/api/v1/households",
                       description="Households referred by the social office")


@households.route("")
class Households(MethodView):
    @requires("staff", "admin")
    @households.arguments(HouseholdIn)
    @households.response(201, HouseholdOut)
    def post(self, data):
        """Refer a household (social office staff)."""
        with uow() as unit:
            if unit.session.scalar(select(Household.id).where(Household.referral_no == data["referral_no"])):
                raise Conflict("A household with this referral number is already registered.")
            household = Household(**data, status="waiting", referred_at=unit.now())
            unit.session.add(household)
            unit.session.flush()
            unit.publish(
                "matching.household.referred",
                {"household_id": household.id, "size": household.size, "urgency": household.urgency},
            )
            unit.audit("household", household.id, "referred", to_state="waiting")
            unit.commit()
            return household


@households.route("/<uuid:household_id>")
class HouseholdById(MethodView):
    @requires("staff", "admin")
    @households.response(200, HouseholdOut)
    def get(self, household_id):
        """One referred household."""
        with uow() as unit:
            return ensure_visible(unit.session.get(Household, str(household_id)), what="household")


def register(api: Api) -> None:
    api.register_blueprint(households)
