"""HTTP API of contracts: thin views over the service layer."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Api, Blueprint
from sqlalchemy import select

from servicekit.errors import Conflict
from servicekit.web import company_scope, current_principal, ensure_visible, requires, uow
from servicekit.web.pagination import page_of

from contracts.models import Company, Tenancy
from contracts.schemas import CompanyIn, CompanyOut, TenancyOut

companies = Blueprint("companies", __name__, url_prefix="/api/v1/companies", description="Housing companies")
tenancies = Blueprint("tenancies", __name__, url_prefix="/api/v1/tenancies",
                      description="Leases between housing companies and referred households")


@companies.route("")
class Companies(MethodView):
    @requires("admin")
    @companies.arguments(CompanyIn)
    @companies.response(201, CompanyOut)
    def post(self, data):
        """Register a housing company (admin). Its id is the `company_id` of its tokens."""
        with uow() as unit:
            if unit.session.scalar(select(Company.id).where(Company.name == data["name"])):
                raise Conflict("A company with this name is already registered.")
            company = Company(**data, registered_at=unit.now())
            unit.session.add(company)
            unit.session.flush()
            unit.publish("contracts.company.registered",
                         {"company_id": company.id, "name": company.name, "email": company.email})
            unit.audit("company", company.id, "registered")
            unit.commit()
            return company


@companies.route("/<uuid:company_id>")
class CompanyById(MethodView):
    @requires("admin", "staff", "finance", "company")
    @companies.response(200, CompanyOut)
    def get(self, company_id):
        """One company; a company token reads only its own."""
        with uow() as unit:
            return ensure_visible(unit.session.get(Company, str(company_id)), what="company", company_attr="id")


@tenancies.route("")
class Tenancies(MethodView):
    @requires("staff", "finance", "admin", "company")
    @tenancies.response(200, TenancyOut(many=True))
    @tenancies.paginate()
    def get(self, pagination_parameters):
        """Tenancies, newest first; a company sees only its own."""
        current_principal()
        with uow() as unit:
            stmt = company_scope(select(Tenancy).order_by(Tenancy.recorded_at.desc()), Tenancy.company_id)
            return page_of(unit.session, stmt, pagination_parameters)


def register(api: Api) -> None:
    api.register_blueprint(companies)
    api.register_blueprint(tenancies)
