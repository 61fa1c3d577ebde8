"""HTTP API of contracts: thin views over the use cases (`contracts.usecases`).

Conventions every endpoint keeps, so that housing companies can rely on them:
- a company token sees and changes only its own company's objects; another company's id answers
  404, exactly like an id that does not exist;
- rule violations answer 422 problem+json naming the field in `errors.json` and a stable `code`;
  state conflicts (signing twice, deciding a decided claim) answer 409 with a `code`;
- nothing is written when a request fails; lists are paginated (`page`, `page_size`, total in the
  `X-Pagination` header) in a fixed order;
- each role receives its projection of a response (`views` on the schemas), and a view that hands a
  household's personal data to a person is in the access log before it leaves (the schemas' `household_key`).
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Response
from flask.views import MethodView
from flask_smorest import Api, Blueprint
from sqlalchemy import select

from servicekit.db import audit_log
from servicekit.errors import Forbidden, NotFound
from servicekit.privacy import record_access
from servicekit.web import company_scope, current_principal, ensure_visible, requires, uow
from servicekit.web.pagination import page_of, page_of_rows

from contracts import config, domain, idempotency, queries, uploads
from contracts.usecases import claims, contracts, incidents
from contracts.usecases import companies as companies_usecases
from contracts.documents import preload as preload_documents
from contracts.domain.evidence import served_filename
from contracts.documents import render_contract_pdf, render_statement_pdf
from contracts.models import Claim, ClaimDocument, Company, Contract, Incident, Tenancy
from contracts.schemas import (
    AuditEntryOut,
    ClaimOut,
    ClaimQuery,
    CompanyIn,
    CompanyOut,
    CompanyPatch,
    ContractOut,
    ContractQuery,
    DecisionIn,
    IncidentIn,
    IncidentOut,
    IncidentQuery,
    PayoutIn,
    ResubmitIn,
    SignIn,
    TenancyOut,
    TenancyQuery,
    TerminateIn,
    TrackRecordOut,
    TrackRecordQuery,
)

READERS = ("staff", "finance", "admin", "company")

companies = Blueprint("companies", __name__, url_prefix="/api/v1/companies", description="Housing companies")
tenancies = Blueprint("tenancies", __name__, url_prefix="/api/v1/tenancies",
                      description="Leases between housing companies and referred households")
contracts_blp = Blueprint("contracts", __name__, url_prefix="/api/v1/contracts", description=(
    "Guarantee contracts (Garantieverträge): 5-year term from lease start, caps per kind of loss, "
    "signatures of city and company, early termination, the contract as PDF."))
claims_blp = Blueprint("claims", __name__, url_prefix="/api/v1/claims", description=(
    "Claims (Inanspruchnahme) of a company under its guarantee, finance's decisions and payouts. "
    "A claim commits its amount against its cap when filed; an accepted claim can always be paid in full."))
incidents_blp = Blueprint("incidents", __name__, url_prefix="/api/v1/incidents",
                          description="Early incident reports of companies")

PDF_RESPONSE = {"200": {"description": "The document", "content": {"application/pdf": {
    "schema": {"type": "string", "format": "binary"}}}}}


# 401 and 403 are documented by servicekit's `requires` on every guarded operation.
ERROR_DESCRIPTIONS = {
    404: ("NOT_FOUND", "No such object — or it belongs to another company (the two are indistinguishable)"),
}


def documented_errors(blueprint: Blueprint, *codes: int):
    """Document the standard problem responses of an operation in the OpenAPI spec."""

    def decorator(view):
        for code in codes:
            name, description = ERROR_DESCRIPTIONS[code]
            view = blueprint.alt_response(code, response=name, description=description)(view)
        return view

    return decorator


def attachment_disposition(filename: str) -> str:
    """`attachment` with an ASCII fallback name and the real one per RFC 6266 / 5987 (HTTP headers
    are Latin-1: a name like "Rechnung Łódź.pdf" must not break the download)."""
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def company_filter() -> str | None:
    """The caller's company id when the caller is a company (scopes every lookup), else None."""
    principal = current_principal()
    return principal.company_id if principal.is_company else None


# --------------------------------------------------------------------------- companies


@companies.route("")
class Companies(MethodView):
    @requires("admin")
    @companies.arguments(CompanyIn)
    @companies.response(201, CompanyOut)
    @companies.alt_response(409, description="Name or id already registered")
    def post(self, data):
        """Register a housing company (admin).

        Its id is the `company_id` the company's tokens carry; pass `id` when the identity
        provider already issued one. Emits `contracts.company.registered`. 409 when the name or id is taken.
        """
        with uow() as unit:
            company = companies_usecases.register(unit, data)
            unit.commit()
            return company

    @requires("admin", "staff", "finance")
    @companies.response(200, CompanyOut(many=True))
    @companies.paginate()
    def get(self, pagination_parameters):
        """All registered companies, by name (staff)."""
        with uow() as unit:
            return page_of(unit.session, select(Company).order_by(Company.name, Company.id), pagination_parameters)


@companies.route("/<uuid:company_id>")
class CompanyById(MethodView):
    @requires(*READERS)
    @documented_errors(companies, 404)
    @companies.response(200, CompanyOut)
    def get(self, company_id):
        """One company.

        A company token reads only its own.
        """
        with uow() as unit:
            return ensure_visible(unit.session.get(Company, str(company_id)), what="company", company_attr="id")


    @requires("admin")
    @documented_errors(companies, 404)
    @companies.arguments(CompanyPatch)
    @companies.response(200, CompanyOut)
    def patch(self, data, company_id):
        """Change a company's contact data or quota (admin).

        Emits `contracts.company.updated` (company_id, name, email) so that mail goes to the new
        address. The audit trail keeps the changed fields' old and new values.
        """
        with uow() as unit:
            company = companies_usecases.update(unit, str(company_id), data)
            unit.commit()
            return company


@companies.route("/<uuid:company_id>/track-record")
class TrackRecord(MethodView):
    @requires("staff", "admin", "finance")
    @documented_errors(companies, 404)
    @companies.arguments(TrackRecordQuery, location="query")
    @companies.response(200, TrackRecordOut)
    def get(self, args, company_id):
        """Quota and track record of one company for a calendar year.

        Flats offered against its quota, proposals and how they ended, tenancies, guarantees, claims,
        payouts, incidents.
        """
        with uow() as unit:
            company = unit.session.get(Company, str(company_id))
            if company is None:
                raise NotFound("No company with this id.")
            year = args["year"] or domain.berlin_date(unit.now()).year
            return queries.track_record(unit.session, company, year)


# --------------------------------------------------------------------------- tenancies


def household_lookup(stmt, model, args):
    """Narrow a list by the references a company knows from matching (proposal, household, referral
    number); `company_scope` is applied after, so a filter never reaches another company's rows."""
    for column, arg in (("proposal_id", "proposal_id"), ("household_id", "household_id"),
                        ("household_reference", "referral_no"), ("company_id", "company_id")):
        if args.get(arg):
            stmt = stmt.where(getattr(model, column) == str(args[arg]))
    return stmt


@tenancies.route("")
class Tenancies(MethodView):
    @requires(*READERS)
    @tenancies.arguments(TenancyQuery, location="query")
    @tenancies.response(200, TenancyOut(many=True))
    @tenancies.paginate()
    def get(self, args, pagination_parameters):
        """Tenancies, newest first.

        Filters: `proposal_id`, `household_id`, `referral_no`, `company_id` (staff). A company sees
        only its own.
        """
        with uow() as unit:
            stmt = household_lookup(select(Tenancy).order_by(Tenancy.recorded_at.desc(), Tenancy.id), Tenancy, args)
            rows = page_of(unit.session, company_scope(stmt, Tenancy.company_id), pagination_parameters)
        return rows


# --------------------------------------------------------------------------- contracts


@contracts_blp.route("")
class Contracts(MethodView):
    @requires(*READERS)
    @contracts_blp.arguments(ContractQuery, location="query")
    @contracts_blp.response(200, ContractOut(many=True))
    @contracts_blp.paginate()
    def get(self, args, pagination_parameters):
        """Guarantee contracts, newest first.

        Filters: `proposal_id` (the contract of a proposal), `household_id`, `referral_no`, `state`,
        `term_end_before` (renewals due), `company_id` (staff); `household_reference` is the deprecated
        name of `referral_no`. Filters combine with AND. A company sees only its own contracts.
        """
        with uow() as unit:
            stmt = select(Contract).order_by(Contract.created_at.desc(), Contract.id)  # tenancy: joined
            if args.get("proposal_id"):
                stmt = stmt.join(Tenancy, Contract.tenancy_id == Tenancy.id).where(
                    Tenancy.proposal_id == str(args["proposal_id"]))
            stmt = household_lookup(stmt, Contract, {**args, "proposal_id": None})
            if args["state"]:
                stmt = stmt.where(Contract.state == args["state"])
            if args["term_end_before"]:
                stmt = stmt.where(Contract.term_end < args["term_end_before"])
            if args["household_reference"]:
                stmt = stmt.where(Contract.household_reference == args["household_reference"])
            rows = page_of_rows(unit.session, queries.with_committed(company_scope(stmt, Contract.company_id)),
                                pagination_parameters)
            presented = [queries.present_with_committed(row.values()) for row in rows]
        return presented


def _present(unit, row: Contract) -> dict:
    """One contract as the API shows it."""
    return queries.present_contracts(unit.session, [row])[0]


@contracts_blp.route("/<uuid:contract_id>")
class ContractById(MethodView):
    @requires(*READERS)
    @documented_errors(contracts_blp, 404)
    @contracts_blp.response(200, ContractOut)
    def get(self, contract_id):
        """One contract with its caps and what remains of them."""
        with uow() as unit:
            return queries.present_with_committed(contracts.read_contract(unit, str(contract_id), company_filter()))


@contracts_blp.route("/<uuid:contract_id>/sign")
class SignContract(MethodView):
    @requires("staff", "company")
    @documented_errors(contracts_blp, 404)
    @contracts_blp.arguments(SignIn, required=False)
    @contracts_blp.response(200, ContractOut)
    @contracts_blp.alt_response(409, description="This side has already signed, or the contract is no draft")
    def post(self, data, contract_id):
        """Sign for the city (staff) or for the company (the owning company).

        The token decides the side: a staff token signs for the city, a company token for the
        company, so the body may be empty. A `party` that does not match the token is 403. The
        contract becomes active when both have signed (`contracts.contract.activated`).
        """
        principal = current_principal()
        company_id = company_filter()
        party = domain.Party(data["party"]) if data["party"] else (
            domain.Party.COMPANY if company_id is not None else domain.Party.CITY)
        if party is domain.Party.CITY and not principal.has_any("staff"):
            raise Forbidden("Only staff of the social office sign for the city.")
        if party is domain.Party.COMPANY and company_id is None:
            raise Forbidden("Only the housing company itself signs for the company.")
        with uow() as unit:
            row = contracts.sign(unit, str(contract_id), party, company_id)
            unit.commit()
            return _present(unit, row)


@contracts_blp.route("/<uuid:contract_id>/terminate")
class TerminateContract(MethodView):
    @requires("staff")
    @documented_errors(contracts_blp, 404)
    @contracts_blp.arguments(TerminateIn)
    @contracts_blp.response(200, ContractOut)
    @contracts_blp.alt_response(409, description="The contract has already ended")
    def post(self, data, contract_id):
        """End a contract early (staff).

        Reasons: move_out, notice, eviction, other (with a note). `effective_on` is the last covered
        day and must lie inside the term. Claims for periods up to that day stay possible within the
        grace period. Emits `contracts.contract.terminated`.
        """
        with uow() as unit:
            row = contracts.terminate(unit, str(contract_id), domain.TerminationReason(data["reason"]),
                                     data["effective_on"], data["note"])
            unit.commit()
            return _present(unit, row)


@contracts_blp.route("/<uuid:contract_id>/document")
class ContractDocumentView(MethodView):
    @requires(*READERS)
    @documented_errors(contracts_blp, 404)
    @contracts_blp.doc(responses=PDF_RESPONSE)
    def get(self, contract_id):
        """The contract as a German PDF (tagged PDF/A-3a and PDF/UA-1), also before it is signed.

        The full contract text: parties, tenancy, caps, claim conditions and deadlines, duties,
        term, data protection, signatures. What remains of the caps is in `/statement`.
        """
        # the PDF names the household for those whose task needs it; finance gets it without
        show_household = TenancyOut.hands_out_household_data(current_principal().roles)
        with uow() as unit:
            row = contracts.get_contract(unit, str(contract_id), company_filter())
            company = unit.session.get(Company, row.company_id)
            doc = queries.contract_document(row, company, config.program_config(), unit.now(),
                                            show_household=show_household)
        if show_household:
            record_access([row.household_id])
        body = render_contract_pdf(doc)
        return Response(body, mimetype="application/pdf", headers={
            "Content-Disposition": f'inline; filename="{row.contract_no}.pdf"'})


@contracts_blp.route("/<uuid:contract_id>/statement")
class ContractStatementView(MethodView):
    @requires(*READERS)
    @documented_errors(contracts_blp, 404)
    @contracts_blp.doc(responses=PDF_RESPONSE)
    def get(self, contract_id):
        """The contract's account statement (Kontoauszug) as a German PDF.

        Per cap: the cap, open, approved and paid amounts and what remains; every claim with its
        figures and state. It names no household and quotes no claim text (not an access-logged read).
        """
        with uow() as unit:
            row = contracts.get_contract(unit, str(contract_id), company_filter())
            company = unit.session.get(Company, row.company_id)
            doc = queries.statement_document(unit.session, row, company, config.program_config(), unit.now())
        body = render_statement_pdf(doc)
        return Response(body, mimetype="application/pdf", headers={
            "Content-Disposition": f'inline; filename="{row.contract_no}-kontoauszug.pdf"'})


@contracts_blp.route("/<uuid:contract_id>/history")
class ContractHistory(MethodView):
    @requires(*READERS)
    @documented_errors(contracts_blp, 404)
    @contracts_blp.response(200, AuditEntryOut(many=True))
    def get(self, contract_id):
        """The audit trail of the contract and its claims and incidents, oldest first.

        Company callers see the role of city-side actors (staff, finance, system), not their identity.
        """
        with uow() as unit:
            row = contracts.get_contract(unit, str(contract_id), company_filter())
            claim_ids = list(unit.session.scalars(select(Claim.id).where(Claim.contract_id == row.id)))
            incident_ids = list(unit.session.scalars(select(Incident.id).where(Incident.contract_id == row.id)))
            stmt = select(audit_log).where(
                ((audit_log.c.entity == "contract") & (audit_log.c.entity_id == row.id))
                | ((audit_log.c.entity == "claim") & audit_log.c.entity_id.in_(claim_ids or [""]))
                | ((audit_log.c.entity == "incident") & audit_log.c.entity_id.in_(incident_ids or [""]))
            ).order_by(audit_log.c.id)
            entries = [dict(r._mapping) for r in unit.session.execute(stmt)]
        if company_filter() is not None:
            # a company learns what happened and in which role, not which city employee did it
            for entry in entries:
                if entry["actor_role"] != "company":
                    entry["actor"] = entry["actor_role"]
        return entries


@contracts_blp.route("/<uuid:contract_id>/claims")
class ContractClaims(MethodView):
    @requires("company")
    @documented_errors(contracts_blp, 404)
    @contracts_blp.doc(parameters=[idempotency.HEADER_DOC], requestBody=uploads.REQUEST_BODY)
    @contracts_blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    @contracts_blp.response(201, ClaimOut)
    @contracts_blp.alt_response(409, description="The contract takes no claims (draft, or ended beyond the grace period)")
    def post(self, contract_id):
        """File a claim (the owning company).

        Send it as JSON (`application/json`, evidence base64-encoded in `evidence`) or as an upload
        (`multipart/form-data`: the same fields as form parts, `period` as `YYYY-MM/YYYY-MM`, each
        evidence file as a file part named after its kind: `rent_ledger`, `invoice`, `photo`,
        `other`). Errors name the field in `errors.json.<field>` or the part in `errors.form.<part>`.

        The claim commits its amount against the kind's cap at once, so it can always be approved in
        full. Rules, each answered with 422 naming the field and a `code`:

        - `amount_cents` fits into what remains of the cap (`claim.cap_exceeded`); damage and move-out
          renovation share one cap;
        - rent arrears need a `period` (`claim.period_required`) whose months lie in the covered term
          (`claim.period_outside_term`), have begun (`claim.period_in_future`) and are not covered by
          another open, approved or paid arrears claim (`claim.period_overlap`); the amount is at most
          months × (cold rent + service charges) (`claim.amount_exceeds_rent`); other kinds take no period;
        - `evidence` holds a rent ledger (arrears) or an invoice (other kinds) (`claim.evidence_missing`;
          an upload names the missing part), PDF, PNG or JPEG, at most 5 MB each, content matching its type.

        409 when the contract takes no claims: a draft (`contract.not_active`), or ended longer ago than
        the grace period (`contract.grace_period_over`). Emits `contracts.claim.submitted`.
        """
        data = uploads.claim_body(contracts_blp)
        company_id = company_filter()

        def act(unit):
            try:
                return claims.file_claim(
                    unit, str(contract_id), company_id, kind=domain.LossKind(data["kind"]),
                    amount_cents=data["amount_cents"], period=data["period"], description=data["description"],
                    uploads=data["evidence"])
            except domain.RuleViolation as exc:
                raise uploads.name_the_part(exc, domain.LossKind(data["kind"])) from None

        return idempotency.run(201, act, ClaimOut().dump, fingerprint=uploads.fingerprint(data))

    @requires(*READERS)
    @documented_errors(contracts_blp, 404)
    @contracts_blp.response(200, ClaimOut(many=True))
    @contracts_blp.paginate()
    def get(self, contract_id, pagination_parameters):
        """The contract's claims, oldest first."""
        with uow() as unit:
            row = contracts.get_contract(unit, str(contract_id), company_filter())
            stmt = select(Claim).where(Claim.contract_id == row.id).order_by(Claim.first_submitted_at, Claim.id)
            rows = page_of(unit.session, stmt, pagination_parameters)
            return rows


@contracts_blp.route("/<uuid:contract_id>/incidents")
class ContractIncidents(MethodView):
    @requires("company")
    @documented_errors(contracts_blp, 404)
    @contracts_blp.arguments(IncidentIn)
    @contracts_blp.doc(parameters=[idempotency.HEADER_DOC])
    @contracts_blp.response(201, IncidentOut)
    @contracts_blp.alt_response(409, description="The contract has ended")
    def post(self, data, contract_id):
        """Report a problem early (payment delay, neighbour conflict, damage, other).

        Support answers with a crisis appointment (`contracts.incident.reported`).
        """
        company_id = company_filter()
        return idempotency.run(201, lambda unit: incidents.report_incident(
            unit, str(contract_id), company_id, kind=domain.IncidentKind(data["kind"]),
            severity=domain.Severity(data["severity"]), description=data["description"],
        ), IncidentOut().dump)

    @requires(*READERS)
    @documented_errors(contracts_blp, 404)
    @contracts_blp.response(200, IncidentOut(many=True))
    @contracts_blp.paginate()
    def get(self, contract_id, pagination_parameters):
        """The contract's incident reports, newest first."""
        with uow() as unit:
            row = contracts.get_contract(unit, str(contract_id), company_filter())
            stmt = select(Incident).where(Incident.contract_id == row.id).order_by(
                Incident.reported_at.desc(), Incident.id)
            rows = page_of(unit.session, stmt, pagination_parameters)
            return rows


# --------------------------------------------------------------------------- claims


@claims_blp.route("")
class Claims(MethodView):
    @requires(*READERS)
    @claims_blp.arguments(ClaimQuery, location="query")
    @claims_blp.response(200, ClaimOut(many=True))
    @claims_blp.paginate()
    def get(self, args, pagination_parameters):
        """Claims, oldest first.

        Finance's work queue is `?status=submitted`. A company sees only its own claims.
        """
        with uow() as unit:
            stmt = select(Claim).order_by(Claim.first_submitted_at, Claim.id)
            for field in ("status", "kind", "contract_id", "company_id"):
                if args[field]:
                    stmt = stmt.where(getattr(Claim, field) == args[field])
            rows = page_of(unit.session, company_scope(stmt, Claim.company_id), pagination_parameters)
            return rows


@claims_blp.route("/<uuid:claim_id>")
class ClaimById(MethodView):
    @requires(*READERS)
    @documented_errors(claims_blp, 404)
    @claims_blp.response(200, ClaimOut)
    def get(self, claim_id):
        """One claim with its decision, payout and the list of its documents."""
        with uow() as unit:
            claim = claims.get_claim(unit, str(claim_id), company_filter())
            return claim


@claims_blp.route("/<uuid:claim_id>/decision")
class DecideClaim(MethodView):
    @requires("finance")
    @documented_errors(claims_blp, 404)
    @claims_blp.arguments(DecisionIn)
    @claims_blp.response(200, ClaimOut)
    @claims_blp.alt_response(409, description="The claim is not waiting for a decision")
    def post(self, data, claim_id):
        """Decide a submitted claim.

        Approve in full, approve in part (`approved_cents` below the amount, with `reason`), reject
        (`reason`), or return it to the company asking for more information (`reason` holds the question).
        Emits `contracts.claim.decided`.
        """
        with uow() as unit:
            claim = claims.decide_claim(unit, str(claim_id), domain.Decision(data["decision"]),
                                          approved_cents=data["approved_cents"], reason=data["reason"])
            unit.commit()
            return claim


@claims_blp.route("/<uuid:claim_id>/payout")
class PayClaim(MethodView):
    @requires("finance")
    @documented_errors(claims_blp, 404)
    @claims_blp.arguments(PayoutIn)
    @claims_blp.response(200, ClaimOut)
    @claims_blp.alt_response(409, description="Not approved, or already paid")
    def post(self, data, claim_id):
        """Record the payout of an approved claim (once).

        Emits `contracts.claim.paid`.
        """
        with uow() as unit:
            claim = claims.record_payout(unit, str(claim_id), data["reference"])
            unit.commit()
            return claim


@claims_blp.route("/<uuid:claim_id>/resubmit")
class ResubmitClaim(MethodView):
    @requires("company")
    @documented_errors(claims_blp, 404)
    @claims_blp.arguments(ResubmitIn)
    @claims_blp.response(200, ClaimOut)
    @claims_blp.alt_response(409, description="The claim was not returned for more information")
    def post(self, data, claim_id):
        """Answer a claim finance returned.

        A new description, more documents, optionally a new amount (checked against the cap again). The
        claim is submitted again.
        """
        company_id = company_filter()
        with uow() as unit:
            claim = claims.resubmit_claim(unit, str(claim_id), company_id, amount_cents=data["amount_cents"],
                                            description=data["description"], uploads=data["evidence"])
            unit.commit()
            return claim


@claims_blp.route("/<uuid:claim_id>/withdraw")
class WithdrawClaim(MethodView):
    @requires("company")
    @documented_errors(claims_blp, 404)
    @claims_blp.response(200, ClaimOut)
    @claims_blp.alt_response(409, description="The claim is already decided")
    def post(self, claim_id):
        """Withdraw an open claim.

        Its amount and period are free again.
        """
        company_id = company_filter()
        with uow() as unit:
            claim = claims.withdraw_claim(unit, str(claim_id), company_id)
            unit.commit()
            return claim


@claims_blp.route("/<uuid:claim_id>/documents/<uuid:document_id>")
class ClaimDocumentView(MethodView):
    @requires(*READERS)
    @documented_errors(claims_blp, 404)
    @claims_blp.doc(responses={"200": {"description": "The stored file", "content": {
        "application/pdf": {}, "image/png": {}, "image/jpeg": {}}}})
    def get(self, claim_id, document_id):
        """Download one evidence document of a claim.

        Served under its stored name with the extension of the type its content was checked to be.
        A withdrawn claim's documents serve no decision any more: only the social office (staff,
        admin) opens them, until the retention job empties them (`RETENTION_WITHDRAWN_EVIDENCE_DAYS`).
        """
        with uow() as unit:
            claim = claims.get_claim(unit, str(claim_id), company_filter())
            doc = unit.session.scalars(
                select(ClaimDocument).where(ClaimDocument.id == str(document_id), ClaimDocument.claim_id == claim.id)
            ).one_or_none()
            if doc is None or not doc.content:  # emptied when the household's data was erased
                raise NotFound("No document with this id.")
            if claim.status == domain.ClaimStatus.WITHDRAWN.value and not current_principal().has_any("staff", "admin"):
                raise NotFound("The claim was withdrawn; its documents are no longer handed out.")
            content, content_type = doc.content, doc.content_type
            filename = served_filename(doc.filename, doc.content_type, doc.kind)
            record_access([claim.household_id])
        return Response(content, mimetype=content_type,
                        headers={"Content-Disposition": attachment_disposition(filename)})


# --------------------------------------------------------------------------- incidents


@incidents_blp.route("")
class Incidents(MethodView):
    @requires(*READERS)
    @incidents_blp.arguments(IncidentQuery, location="query")
    @incidents_blp.response(200, IncidentOut(many=True))
    @incidents_blp.paginate()
    def get(self, args, pagination_parameters):
        """Incident reports, newest first.

        A company sees its own.
        """
        with uow() as unit:
            stmt = select(Incident).order_by(Incident.reported_at.desc(), Incident.id)
            for field in ("kind", "severity", "contract_id", "company_id"):
                if args[field]:
                    stmt = stmt.where(getattr(Incident, field) == args[field])
            rows = page_of(unit.session, company_scope(stmt, Incident.company_id), pagination_parameters)
            return rows


@incidents_blp.route("/<uuid:incident_id>")
class IncidentById(MethodView):
    @requires(*READERS)
    @documented_errors(incidents_blp, 404)
    @incidents_blp.response(200, IncidentOut)
    def get(self, incident_id):
        """One incident report."""
        with uow() as unit:
            incident = ensure_visible(unit.session.get(Incident, str(incident_id)), what="incident")
            return incident


def register(api: Api) -> None:
    preload_documents()
    for blueprint in (companies, tenancies, contracts_blp, claims_blp, incidents_blp):
        api.register_blueprint(blueprint)
