"""HTTP API of matching: thin views that parse, call a use case (`matching.usecases`) and answer
through a schema. Domain errors become problem+json in the kit's app factory."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Api, Blueprint

from servicekit.clock import berlin_date
from servicekit.errors import NotFound, Unprocessable
from servicekit.privacy import record_access
from servicekit.web import company_scope, current_principal, ensure_visible, requires, uow
from servicekit.web.pagination import page_of

from matching import erasure
from matching.config import default_policy
from matching.domain.proposal import Party
from matching.models import ErasureRequest, Flat, Household, MatchingRun, Proposal, RegisteredCompany
from matching.schemas import (
    DeclineIn, FlatIn, FlatOut, FlatQuery, HouseholdIn, HouseholdOut, HouseholdQuery, LeaseIn, PartyIn,
    DeclineCountOut, ErasureIn, ErasureOut, FlatPatch, FlatWhyNotOut, PeriodQuery, ProposalIn, ProposalOut, ProposalQuery,
    RegisteredCompanyOut, RentLimitOverrideIn, RunOut, WhyNotOut, WithdrawIn,
)
from matching.usecases import flats as flat_cases
from matching.usecases import households as household_cases
from matching.usecases import proposals as proposal_cases
from matching.usecases import runs as run_cases
from matching.usecases.common import household_limit

STAFF = ("staff", "admin")

households = Blueprint("households", __name__, url_prefix="/api/v1/households",
                       description="Households referred by the social office")
flats = Blueprint("flats", __name__, url_prefix="/api/v1/flats", description="Flats offered by housing companies")
reports = Blueprint("reports", __name__, url_prefix="/api/v1/reports", description="Aggregated figures for staff")
runs = Blueprint("matching-runs", __name__, url_prefix="/api/v1/matching-runs", description="Global matching runs")
companies = Blueprint("companies", __name__, url_prefix="/api/v1/companies",
                      description="The housing companies matching knows (registered in contracts)")
proposals = Blueprint("proposals", __name__, url_prefix="/api/v1/proposals",
                      description="Proposals, answers and the signed lease")


def _household_out(h: Household) -> Household:
    h.rent_limit_cents = household_limit(h, default_policy())  # type: ignore[attr-defined]
    return h


def _get_or_404(session, model, ident):
    obj = session.get(model, str(ident))
    if obj is None:
        raise NotFound(f"No {model.__tablename__[:-1]} with this id.")
    return obj


# --- households ---------------------------------------------------------------------------------

@households.route("")
class Households(MethodView):
    @requires(*STAFF)
    @households.arguments(HouseholdIn)
    @households.response(201, HouseholdOut)
    def post(self, data):
        """Refer a household (social office staff)."""
        with uow() as unit:
            household = household_cases.refer_household(unit, data)
            unit.commit()
            out = _household_out(household)
        return out

    @requires(*STAFF)
    @households.arguments(HouseholdQuery, location="query")
    @households.response(200, HouseholdOut(many=True))
    @households.paginate()
    def get(self, query, pagination_parameters):
        """Referred households, oldest referral first.

        Filters: `status`, `needs_review`, `referral_no` (the household's one reference in every service).
        """
        with uow() as unit:
            stmt = household_cases.listing(query)
            page = [_household_out(h) for h in page_of(unit.session, stmt, pagination_parameters)]
        return page


@households.route("/<uuid:household_id>")
class HouseholdById(MethodView):
    @requires(*STAFF)
    @households.response(200, HouseholdOut)
    def get(self, household_id):
        """One referred household."""
        with uow() as unit:
            out = _household_out(ensure_visible(unit.session.get(Household, str(household_id)), what="household"))
        return out


@households.route("/<uuid:household_id>/withdraw")
class WithdrawHousehold(MethodView):
    @requires(*STAFF)
    @households.arguments(WithdrawIn)
    @households.response(200, HouseholdOut)
    def post(self, data, household_id):
        """Withdraw a referral; an open proposal is withdrawn and its flat goes back on offer."""
        with uow() as unit:
            household = _get_or_404(unit.session, Household, household_id)
            household_cases.withdraw_household(unit, household, data["reason"])
            unit.commit()
            out = _household_out(household)
        return out


@households.route("/<uuid:household_id>/rent-limit")
class RentLimit(MethodView):
    @requires(*STAFF)
    @households.arguments(RentLimitOverrideIn)
    @households.response(200, HouseholdOut)
    def put(self, data, household_id):
        """Override the household's cold-rent limit (null returns to the city's table), with a reason."""
        with uow() as unit:
            household = _get_or_404(unit.session, Household, household_id)
            household_cases.set_rent_limit_override(unit, household, data["max_cold_rent_cents"], data["reason"])
            unit.commit()
            out = _household_out(household)
        return out


@households.route("/<uuid:household_id>/why-not")
class HouseholdWhyNot(MethodView):
    @requires(*STAFF)
    @households.response(200, WhyNotOut)
    def get(self, household_id):
        """Flats on offer this household is eligible for (best first) and, for the others, the rules that excluded it."""
        with uow() as unit:
            household = _get_or_404(unit.session, Household, household_id)
            out = household_cases.why_not_household(unit.session, default_policy(), household, berlin_date(unit.now()))
        record_access([str(household_id)])  # the verdicts tell this household's rent limit and needs
        return out


# --- erasure (data protection officer) -----------------------------------------------------------

def _erasure_out(session, request: ErasureRequest) -> dict:
    answers = erasure.answers_of(session, request)
    out = {c: getattr(request, c) for c in ("id", "household_id", "reason", "note", "requested_at", "requested_by")}
    return {**out, "state": erasure.state_of(answers),
            "services": [{"service": a.service, "status": a.status, "hold": a.hold, "answered_at": a.answered_at}
                        for a in answers]}


@households.route("/<uuid:household_id>/erasure")
class HouseholdErasure(MethodView):
    @requires("dpo")
    @households.arguments(ErasureIn)
    @households.response(202, ErasureOut)
    @households.alt_response(200, schema=ErasureOut, success=True,
                             description="The household was already erased: its existing request, nothing new.")
    def post(self, data, household_id):
        """Erase a household in every service (Art. 17 GDPR): matching erases at once and asks the others."""
        with uow() as unit:
            # The row lock serialises two requests for one household: the second finds the first.
            household = unit.session.get(Household, str(household_id), with_for_update=True)
            if household is None:
                raise NotFound("No household with this id.")
            request, created = erasure.request_erasure(unit, household, data["reason"], data["note"])
            unit.commit()
            out = _erasure_out(unit.session, request)
        return (out, 202 if created else 200)

    @requires("dpo")
    @households.response(200, ErasureOut)
    def get(self, household_id):
        """Where the household's erasure stands: the request and each service's answer."""
        with uow() as unit:
            request = erasure.existing_request(unit.session, str(household_id))
            if request is None:
                raise NotFound("No erasure request for this household.")
            out = _erasure_out(unit.session, request)
        return out


# --- flats --------------------------------------------------------------------------------------

def _acting_company(data) -> str:
    principal = current_principal()
    if principal.is_company:
        if data.get("company_id") and str(data["company_id"]) != principal.company_id:
            raise NotFound("No company with this id.")
        return principal.company_id
    if not data.get("company_id"):
        raise Unprocessable("staff must name the company they act for", field="company_id")
    return str(data["company_id"])


@flats.route("")
class Flats(MethodView):
    @requires("company", *STAFF)
    @flats.arguments(FlatIn)
    @flats.response(201, FlatOut)
    def post(self, data):
        """Offer a flat (a company for itself, or staff acting for a company)."""
        with uow() as unit:
            flat = flat_cases.offer_flat(unit, data, _acting_company(data))
            unit.commit()
            return flat

    @requires("company", *STAFF)
    @flats.arguments(FlatQuery, location="query")
    @flats.response(200, FlatOut(many=True))
    @flats.paginate()
    def get(self, query, pagination_parameters):
        """Flats (a company sees only its own)."""
        with uow() as unit:
            stmt = company_scope(flat_cases.listing(query), Flat.company_id)
            return page_of(unit.session, stmt, pagination_parameters)


@flats.route("/<uuid:flat_id>")
class FlatById(MethodView):
    @requires("company", *STAFF)
    @flats.response(200, FlatOut)
    def get(self, flat_id):
        """One flat."""
        with uow() as unit:
            return ensure_visible(unit.session.get(Flat, str(flat_id)), what="flat")

    @requires("company", *STAFF)
    @flats.arguments(FlatPatch(partial=True))
    @flats.response(200, FlatOut)
    def patch(self, data, flat_id):
        """Correct a flat while it is on offer (proposals already made keep their snapshot)."""
        if not data:
            raise Unprocessable("nothing to change", field="body")
        with uow() as unit:
            flat = ensure_visible(unit.session.get(Flat, str(flat_id)), what="flat")
            flat_cases.update_flat(unit, flat, data)
            unit.commit()
            return flat


@flats.route("/<uuid:flat_id>/withdraw")
class WithdrawFlat(MethodView):
    @requires("company", *STAFF)
    @flats.arguments(WithdrawIn)
    @flats.response(200, FlatOut)
    def post(self, data, flat_id):
        """Withdraw a flat from the offer; an open proposal for it is withdrawn."""
        with uow() as unit:
            flat = ensure_visible(unit.session.get(Flat, str(flat_id)), what="flat")
            flat_cases.withdraw_flat(unit, flat, data["reason"])
            unit.commit()
            return flat


@flats.route("/<uuid:flat_id>/why-not")
class FlatWhyNot(MethodView):
    @requires(*STAFF)
    @flats.response(200, FlatWhyNotOut)
    def get(self, flat_id):
        """Waiting households eligible for this flat (best first) and, for the others, the rules that excluded them."""
        with uow() as unit:
            flat = _get_or_404(unit.session, Flat, flat_id)
            verdicts = flat_cases.why_not_flat(unit.session, default_policy(), flat, berlin_date(unit.now()))
        return verdicts


# --- runs ---------------------------------------------------------------------------------------

@runs.route("")
class Runs(MethodView):
    @requires(*STAFF)
    @runs.response(202, RunOut, headers={"Location": {"description": "The run, to poll until its status is completed or failed",
                                                      "schema": {"type": "string"}}})
    @runs.alt_response(409, description="A run is already queued or running (its id in `run_id`)")
    def post(self):
        """Queue a global assignment over all offered flats and waiting households; the worker runs it.

        One run at a time: while one is `pending`, another answers 409. Poll the `Location` until
        `status` is `completed` (figures filled, proposals created) or `failed`.
        """
        with uow() as unit:
            run = run_cases.request_run(unit)
            unit.commit()
            return run, 202, {"Location": f"/api/v1/matching-runs/{run.id}"}

    @requires(*STAFF)
    @runs.response(200, RunOut(many=True))
    @runs.paginate()
    def get(self, pagination_parameters):
        """Past runs, newest first."""
        with uow() as unit:
            return page_of(unit.session, run_cases.listing(), pagination_parameters)


@runs.route("/<uuid:run_id>")
class RunById(MethodView):
    @requires(*STAFF)
    @runs.response(200, RunOut)
    def get(self, run_id):
        """One run's summary."""
        with uow() as unit:
            return _get_or_404(unit.session, MatchingRun, run_id)


# --- proposals ----------------------------------------------------------------------------------

def _proposal_out(session, p: Proposal) -> dict:
    out = {c: getattr(p, c) for c in ProposalOut().fields if hasattr(p, c) and c != "snapshot"}
    household = session.get(Household, p.household_id)
    return {**out, **proposal_cases.what_is_shown(p, household, to_company=current_principal().is_company)}


def _visible_proposal(session, proposal_id) -> Proposal:
    return ensure_visible(session.get(Proposal, str(proposal_id)), what="proposal")


def _party(data) -> Party:
    principal = current_principal()
    if principal.is_company:
        if data.get("party") not in (None, Party.COMPANY):
            raise Unprocessable("a company answers for itself", field="party")
        return Party.COMPANY
    if not data.get("party"):
        raise Unprocessable("staff must say whose answer they record", field="party")
    return Party(data["party"])


@proposals.route("")
class Proposals(MethodView):
    @requires(*STAFF)
    @proposals.arguments(ProposalIn)
    @proposals.response(201, ProposalOut)
    def post(self, data):
        """Propose a flat to a household by hand (the pair must pass every rule)."""
        with uow() as unit:
            flat = unit.session.get(Flat, str(data["flat_id"]))
            household = unit.session.get(Household, str(data["household_id"]))
            if flat is None:
                raise Unprocessable("no such flat", field="flat_id")
            if household is None:
                raise Unprocessable("no such household", field="household_id")
            proposal = proposal_cases.manual_proposal(unit, default_policy(), flat, household)
            unit.commit()
            out = _proposal_out(unit.session, proposal)
        return out

    @requires("company", *STAFF)
    @proposals.arguments(ProposalQuery, location="query")
    @proposals.response(200, ProposalOut(many=True))
    @proposals.paginate()
    def get(self, query, pagination_parameters):
        """Proposals (a company sees only those for its own flats)."""
        with uow() as unit:
            stmt = company_scope(proposal_cases.listing(query), Proposal.company_id)
            page = [_proposal_out(unit.session, p) for p in page_of(unit.session, stmt, pagination_parameters)]
        return page


@proposals.route("/<uuid:proposal_id>")
class ProposalById(MethodView):
    @requires("company", *STAFF)
    @proposals.response(200, ProposalOut)
    def get(self, proposal_id):
        """One proposal with its score breakdown and the rules it passed."""
        with uow() as unit:
            out = _proposal_out(unit.session, _visible_proposal(unit.session, proposal_id))
        return out


@proposals.route("/<uuid:proposal_id>/accept")
class Accept(MethodView):
    @requires("company", *STAFF)
    @proposals.arguments(PartyIn)
    @proposals.response(200, ProposalOut)
    def post(self, data, proposal_id):
        """Accept: the company for itself, or staff recording the company's or the household's answer."""
        with uow() as unit:
            proposal = _visible_proposal(unit.session, proposal_id)
            proposal_cases.accept(unit, proposal, _party(data))
            unit.commit()
            out = _proposal_out(unit.session, proposal)
        return out


@proposals.route("/<uuid:proposal_id>/decline")
class Decline(MethodView):
    @requires("company", *STAFF)
    @proposals.arguments(DeclineIn)
    @proposals.response(200, ProposalOut)
    def post(self, data, proposal_id):
        """Decline with a reason from the configured list (+ text); the reason decides what happens next."""
        with uow() as unit:
            proposal = _visible_proposal(unit.session, proposal_id)
            proposal_cases.decline(unit, default_policy(), proposal, _party(data), data["reason"], data["text"])
            unit.commit()
            out = _proposal_out(unit.session, proposal)
        return out


@proposals.route("/<uuid:proposal_id>/lease")
class Lease(MethodView):
    @requires("company", *STAFF)
    @proposals.arguments(LeaseIn)
    @proposals.response(200, ProposalOut)
    def post(self, data, proposal_id):
        """Record the signed unlimited lease: flat let, household housed, `matching.tenancy.agreed` emitted."""
        with uow() as unit:
            proposal = _visible_proposal(unit.session, proposal_id)
            proposal_cases.record_lease(unit, default_policy(), proposal, data)
            unit.commit()
            out = _proposal_out(unit.session, proposal)
        return out


@reports.route("/declines")
class DeclineReport(MethodView):
    @requires(*STAFF)
    @reports.arguments(PeriodQuery, location="query")
    @reports.response(200, DeclineCountOut(many=True))
    def get(self, query):
        """Declines by party and reason (optionally within [from, to) by decision date, Europe/Berlin)."""
        with uow() as unit:
            return proposal_cases.decline_counts(unit.session, default_policy(), query.get("from_"), query.get("to"))


# --- companies ------------------------------------------------------------------------------------

@companies.route("/<uuid:company_id>")
class CompanyById(MethodView):
    @requires("company", *STAFF)
    @companies.response(200, RegisteredCompanyOut)
    def get(self, company_id):
        """Whether matching knows this housing company yet.

        Contracts registers a company and announces it (`contracts.company.registered`); matching
        learns of it a moment later, and until then `POST /flats` for it answers 422. 200 once it
        may offer flats, 404 before (and for another company's id).
        """
        with uow() as unit:
            return ensure_visible(unit.session.get(RegisteredCompany, str(company_id)), what="company")


def register(api: Api) -> None:
    for blueprint in (households, flats, companies, runs, proposals, reports):
        api.register_blueprint(blueprint)
