"""Request and response schemas (marshmallow); flask-smorest turns them into the OpenAPI document.

The `*Event` schemas are support's own reading of other services' events (no shared classes).
"""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from servicekit.privacy import ALL, PurposeBoundSchema, Views

from support import config
from support.domain.crisis import CrisisState
from support.domain.lifecycle import CHOSEN_OUTCOMES, OUTCOME_MAX_CHARS, AppointmentState, CaseState
from support.domain.model import Role

ROLE_VALUES = [r.value for r in Role]
CASELOAD = config.caseload()  # a new caseworker's capacity unless the admin says otherwise
KINDS = ["home_visit", "office_meeting", "phone_call", "crisis", "first_visit"]


class AbsenceIn(Schema):
    first_day = fields.Date(required=True)
    last_day = fields.Date(required=True)
    kind = fields.String(load_default="holiday", validate=validate.OneOf(["holiday", "sick_leave", "training", "parental_leave", "other"]))

    @validates_schema
    def _order(self, data, **_):
        if data["last_day"] < data["first_day"]:
            raise ValidationError("last_day must not be before first_day", field_name="last_day")


class AbsenceOut(Schema):
    id = fields.String(required=True)
    first_day = fields.Date(required=True)
    last_day = fields.Date(required=True)
    kind = fields.String(required=True)


class CaseworkerIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    email = fields.Email(required=True)
    phone = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))
    roles = fields.List(fields.String(validate=validate.OneOf(ROLE_VALUES)), load_default=lambda: list(ROLE_VALUES),
                        validate=validate.Length(min=1))
    max_cases = fields.Integer(load_default=CASELOAD.max_cases, validate=validate.Range(min=1, max=500),
                               metadata={"description": "Open cases at most (default: config/caseload.json)"})
    weekly_minutes = fields.Integer(load_default=CASELOAD.weekly_minutes, validate=validate.Range(min=30, max=60 * 60),
                                    metadata={"description": "Time for appointments per week, in minutes "
                                                             "(default: config/caseload.json)"})
    working_weekdays = fields.List(fields.Integer(strict=True, validate=validate.Range(min=0, max=4)),
                                   load_default=lambda: [0, 1, 2, 3, 4], validate=validate.Length(min=1),
                                   metadata={"description": "0 = Monday … 4 = Friday"})
    districts = fields.List(fields.String(validate=validate.Length(min=1, max=80)), load_default=list,
                            metadata={"description": "Empty: serves the whole city"})
    subject = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=120),
                            metadata={"description": "The person's `sub` at the identity provider"})


class CaseworkerPatch(Schema):
    phone = fields.String(allow_none=True, validate=validate.Length(max=40))
    roles = fields.List(fields.String(validate=validate.OneOf(ROLE_VALUES)), validate=validate.Length(min=1))
    max_cases = fields.Integer(validate=validate.Range(min=1, max=500))
    weekly_minutes = fields.Integer(validate=validate.Range(min=30, max=60 * 60))
    working_weekdays = fields.List(fields.Integer(strict=True, validate=validate.Range(min=0, max=4)), validate=validate.Length(min=1))
    districts = fields.List(fields.String(validate=validate.Length(min=1, max=80)))
    active = fields.Boolean()


class CaseworkerOut(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    email = fields.String(required=True)
    phone = fields.String(allow_none=True)
    roles = fields.List(fields.String())
    max_cases = fields.Integer()
    weekly_minutes = fields.Integer()
    working_weekdays = fields.List(fields.Integer())
    districts = fields.List(fields.String())
    active = fields.Boolean()
    active_cases = fields.Integer(dump_default=None)
    absences = fields.List(fields.Nested(AbsenceOut))
    registered_at = fields.DateTime(required=True)


class CaseworkerCreated(CaseworkerOut):
    calendar_token = fields.String(metadata={"description": "Secret for the calendar URL; shown only now"})


class FeedTokenOut(Schema):
    calendar_token = fields.String(required=True)
    calendar_url = fields.String(required=True)


class PersonOut(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    email = fields.String(required=True)
    phone = fields.String(required=True, allow_none=True)


# Who sees what of a case. A housing company learns whom to call and whether support is running —
# never the household's situation (risk, outcome, reasons) nor the social worker. Staff and the
# case's own caseworkers (which cases are theirs is decided in api.visible_case) see the case.
COMPANY_CASE_FIELDS = {"id", "reference", "household_id", "referral_no", "contract_id", "status", "contact_person"}
CASE_VIEWS = Views(staff=ALL, admin=ALL, caseworker=ALL, company=COMPANY_CASE_FIELDS)
# appointments and crises are support's own work: no other role reads them
SUPPORT_VIEWS = Views(staff=ALL, admin=ALL, caseworker=ALL)


class CaseOut(PurposeBoundSchema):
    views = CASE_VIEWS
    household_key = "household_id"

    id = fields.String(required=True)
    reference = fields.String(allow_none=True, metadata={
        "description": "The case's own reference (SUP-<year>-<token>), not the household's", "example": "SUP-2026-3FA9C21B"})
    household_id = fields.String(required=True)
    referral_no = fields.String(allow_none=True, metadata={
        "description": "The household's referral number from the social office (the same name in every WohnenPlus "
                       "service); null for cases opened before it was kept, and once erased",
        "example": "AfSuT-2026-0815"})
    company_id = fields.String(required=True)
    contract_id = fields.String(allow_none=True)
    status = fields.String(required=True)
    opened_at = fields.DateTime(required=True)
    support_start = fields.Date(allow_none=True)
    district = fields.String(allow_none=True)
    contact_person = fields.Nested(PersonOut, allow_none=True)
    social_worker = fields.Nested(PersonOut, allow_none=True)
    at_risk = fields.Boolean()
    at_risk_since = fields.DateTime(allow_none=True)
    outcome = fields.String(allow_none=True)
    close_reason = fields.String(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)


class CaseDetailOut(CaseOut):
    """For staff and the case's own caseworkers: the household's contact and address."""

    household_name = fields.String(allow_none=True)
    household_email = fields.String(allow_none=True)
    household_phone = fields.String(allow_none=True)
    household_size = fields.Integer(allow_none=True)
    street = fields.String(allow_none=True)
    postal_code = fields.String(allow_none=True)
    city = fields.String(allow_none=True)


class CaseQuery(Schema):
    status = fields.String(validate=validate.OneOf([s.value for s in CaseState]))
    at_risk = fields.Boolean()
    caseworker_id = fields.String()
    household_id = fields.UUID(metadata={"description": "The household's cases (narrows the caller's own list)"})
    contract_id = fields.UUID(metadata={"description": "The case of a guarantee contract"})
    referral_no = fields.String(validate=validate.Length(min=1, max=64),
                                metadata={"description": "The household's cases, by its referral number"})


class CloseIn(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf(CHOSEN_OUTCOMES))
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class RecordOutcomeIn(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf(CHOSEN_OUTCOMES))


class ReassignIn(Schema):
    role = fields.String(required=True, validate=validate.OneOf(ROLE_VALUES))
    caseworker_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    reason = fields.String(required=True, validate=validate.Length(min=3, max=500))


class AppointmentIn(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    starts_at = fields.AwareDateTime(required=True, metadata={"description": "ISO 8601 with offset"})
    duration_minutes = fields.Integer(load_default=60, validate=validate.Range(min=15, max=240))
    caseworker_id = fields.String(load_default=None, allow_none=True,
                                  metadata={"description": "Default: the case's contact person"})


class RescheduleIn(Schema):
    starts_at = fields.AwareDateTime(required=True)
    duration_minutes = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=15, max=240))


class CancelIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=3, max=OUTCOME_MAX_CHARS))


class CompleteIn(Schema):
    outcome = fields.String(required=True, validate=validate.Length(min=2, max=OUTCOME_MAX_CHARS))


class AppointmentOut(PurposeBoundSchema):
    views = SUPPORT_VIEWS

    id = fields.String(required=True)
    case_id = fields.String(required=True)
    caseworker_id = fields.String(required=True)
    kind = fields.String(required=True)
    starts_at = fields.DateTime(required=True)
    ends_at = fields.DateTime(required=True)
    status = fields.String(required=True)
    plan_key = fields.String(allow_none=True)
    crisis_id = fields.String(allow_none=True)
    sequence = fields.Integer()
    cancel_reason = fields.String(allow_none=True)
    outcome_note = fields.String(allow_none=True)


class AppointmentQuery(Schema):
    caseworker_id = fields.String()
    status = fields.String(validate=validate.OneOf([s.value for s in AppointmentState]))
    start = fields.AwareDateTime(metadata={"description": "appointments starting at or after"})
    end = fields.AwareDateTime(metadata={"description": "appointments starting before"})


class CalendarQuery(Schema):
    token = fields.String(metadata={"description": "Calendar secret, for clients that cannot send a bearer token"})


class CrisisOut(PurposeBoundSchema):
    views = SUPPORT_VIEWS

    id = fields.String(required=True)
    case_id = fields.String(required=True)
    trigger = fields.String(required=True)
    reported_at = fields.DateTime(required=True)
    deadline = fields.DateTime(required=True)
    appointment_id = fields.String(allow_none=True)
    caseworker_id = fields.String(allow_none=True)
    substitute = fields.Boolean()
    status = fields.String(required=True)


class CrisisQuery(Schema):
    status = fields.String(validate=validate.OneOf([s.value for s in CrisisState]))


# --- consumed events -------------------------------------------------------------------------


class _EventSchema(Schema):
    class Meta:
        unknown = "exclude"


class AddressEvent(_EventSchema):
    street = fields.String(load_default=None, allow_none=True)
    postal_code = fields.String(load_default=None, allow_none=True)
    city = fields.String(load_default=None, allow_none=True)
    district = fields.String(load_default=None, allow_none=True)


class HouseholdEvent(_EventSchema):
    name = fields.String(load_default=None, allow_none=True)
    email = fields.String(load_default=None, allow_none=True)
    phone = fields.String(load_default=None, allow_none=True)
    size = fields.Integer(load_default=None, allow_none=True)


class TenancyEvent(_EventSchema):
    """What support reads from `matching.tenancy.agreed` (its own view of matching's event)."""

    proposal_id = fields.String(required=True)
    household_id = fields.String(required=True)
    company_id = fields.String(required=True)
    flat_id = fields.String(load_default=None, allow_none=True)
    lease_start = fields.Date(load_default=None, allow_none=True)
    address = fields.Nested(AddressEvent, load_default=None, allow_none=True)
    household = fields.Nested(HouseholdEvent, load_default=None, allow_none=True)
    household_reference = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))


class TenancyEventV2(TenancyEvent):
    """Version 2 of `matching.tenancy.agreed`: the referral number arrives as `referral_no` and is
    kept where version 1's `household_reference` goes."""

    household_reference = fields.String(data_key="referral_no", load_default=None, allow_none=True,
                                        validate=validate.Length(max=64))


class ContractEvent(_EventSchema):
    """contracts.contract.created / expired / terminated: `proposal_id` names the case (contracts
    documents it as optional, for its events published before it was added)."""

    proposal_id = fields.String(load_default=None, allow_none=True)
    contract_id = fields.String(required=True)
    contract_no = fields.String(load_default=None, allow_none=True)
    reason = fields.String(load_default=None, allow_none=True)


class IncidentEvent(_EventSchema):
    proposal_id = fields.String(load_default=None, allow_none=True)
    incident_id = fields.String(required=True)
    kind = fields.String(load_default=None, allow_none=True)
    severity = fields.String(load_default=None, allow_none=True)


class ClaimEvent(_EventSchema):
    proposal_id = fields.String(load_default=None, allow_none=True)
    claim_id = fields.String(required=True)
    kind = fields.String(required=True)
    amount_cents = fields.Integer(load_default=None, allow_none=True)


class ErasureRequestEvent(_EventSchema):
    """What support reads from `matching.household.erasure_requested`."""

    household_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    request_id = fields.String(load_default=None, allow_none=True)
    reason = fields.String(load_default=None, allow_none=True)
