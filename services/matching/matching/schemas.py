"""Request and response schemas (marshmallow); flask-smorest turns them into the OpenAPI document."""

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from servicekit.privacy import ALL, PurposeBoundSchema, Views

from matching.config import default_policy
from matching.domain.flat import FlatState
from matching.domain.household import HouseholdState
from matching.domain.proposal import Party, ProposalState
from matching.domain.run import RunState

URGENCIES = tuple(u.key for u in default_policy().urgency_levels)
DISTRICTS = default_policy().districts
MAX_CENTS = 1_000_000  # 10,000 EUR a month: anything above is a typo, not a WohnenPlus flat


def _cents(required: bool = True, minimum: int = 0, **kw):
    return fields.Integer(required=required, validate=validate.Range(min=minimum, max=MAX_CENTS), strict=True, **kw)




def one_of(states) -> validate.OneOf:
    """The values of an enum, in its order (the life cycles' states feed the schemas)."""
    return validate.OneOf(tuple(s.value for s in states))


district_field = lambda **kw: fields.String(validate=validate.OneOf(DISTRICTS), **kw)  # noqa: E731


class HouseholdIn(Schema):
    referral_no = fields.String(required=True, validate=validate.Length(min=1, max=40))
    adults = fields.Integer(required=True, validate=validate.Range(min=1, max=12))
    children = fields.Integer(load_default=0, validate=validate.Range(min=0, max=15))
    urgency = fields.String(required=True, validate=validate.OneOf(URGENCIES))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    email = fields.Email(load_default=None, allow_none=True)
    phone = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))
    needs_barrier_free = fields.Boolean(load_default=False)
    needs_wheelchair = fields.Boolean(load_default=False)
    needs_ground_floor_or_lift = fields.Boolean(load_default=False)
    has_pets = fields.Boolean(load_default=False)
    preferred_districts = fields.List(district_field(), load_default=list, validate=validate.Length(max=23))
    excluded_districts = fields.List(district_field(), load_default=list, validate=validate.Length(max=22))
    referred_on = fields.Date(load_default=None, allow_none=True,
                              metadata={"description": "the office's referral date (waiting time counts from it); default today"})

    @validates("referred_on")
    def _not_future(self, value, **kwargs):
        if value is not None and value.year < 2000:
            raise ValidationError("referral date before 2000")

    @validates_schema
    def _districts(self, data, **kwargs):
        both = set(data.get("preferred_districts", [])) & set(data.get("excluded_districts", []))
        if both:
            raise ValidationError(f"districts both preferred and excluded: {sorted(both)}", "excluded_districts")


class RentLimitOverrideIn(Schema):
    max_cold_rent_cents = fields.Integer(required=True, allow_none=True, validate=validate.Range(min=1, max=MAX_CENTS))
    reason = fields.String(required=True, validate=validate.Length(min=3, max=2000))


class WithdrawIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=3, max=2000))


class HouseholdOut(PurposeBoundSchema):
    # Only the social office's staff read a household record; anyone else gets its id at most.
    views = Views(staff=ALL, admin=ALL)
    household_key = "id"
    id = fields.String(required=True)
    referral_no = fields.String(allow_none=True, required=True, metadata={
        "description": "The social office's referral number: the household's one reference, under this name in "
                       "every WohnenPlus service; null once the household's data was erased"})
    adults = fields.Integer(required=True)
    children = fields.Integer(required=True)
    size = fields.Integer(required=True)
    urgency = fields.String(required=True)
    status = fields.String(required=True)
    name = fields.String(required=True)
    email = fields.String(allow_none=True, required=True)
    phone = fields.String(allow_none=True, required=True)
    referred_at = fields.DateTime(required=True)
    needs_barrier_free = fields.Boolean(required=True)
    needs_wheelchair = fields.Boolean(required=True)
    needs_ground_floor_or_lift = fields.Boolean(required=True)
    has_pets = fields.Boolean(required=True)
    preferred_districts = fields.List(fields.String(), required=True)
    excluded_districts = fields.List(fields.String(), required=True)
    rent_limit_cents = fields.Integer(metadata={"description": "cold-rent limit in force (override or city table)"}, required=True)
    rent_limit_override_cents = fields.Integer(allow_none=True, required=True)
    rent_limit_override_reason = fields.String(allow_none=True, required=True)
    withdrawal_reason = fields.String(allow_none=True, required=True)
    counted_declines = fields.Integer(required=True)
    needs_review = fields.Boolean(required=True)
    status_changed_at = fields.DateTime(allow_none=True, required=True)
    erased_at = fields.DateTime(allow_none=True, required=True, metadata={"description": "when the household's personal data was erased"})


class HouseholdQuery(Schema):
    status = fields.String(validate=one_of(HouseholdState))
    needs_review = fields.Boolean()
    referral_no = fields.String(validate=validate.Length(min=1, max=40),
                                metadata={"description": "The household with this referral number"})


class FlatIn(Schema):
    company_id = fields.UUID(load_default=None, metadata={"description": "staff acting for a company; companies omit it"})
    unit_ref = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=80))
    street = fields.String(required=True, validate=validate.Length(min=3, max=200))
    postal_code = fields.String(required=True, validate=validate.Regexp(r"^70[0-9]{3}$", error="not a Stuttgart postal code"))
    city = fields.String(load_default="Stuttgart", validate=validate.Equal("Stuttgart"))
    district = district_field(required=True)
    rooms = fields.Float(required=True, validate=validate.Range(min=1, max=10))
    area_m2 = fields.Float(required=True, validate=validate.Range(min=10, max=300))
    floor = fields.Integer(required=True, validate=validate.Range(min=-1, max=40))
    lift = fields.Boolean(load_default=False)
    barrier_free = fields.Boolean(load_default=False)
    wheelchair_accessible = fields.Boolean(load_default=False)
    cold_rent_cents = _cents(minimum=1)
    service_charges_cents = _cents()
    heating_cents = _cents()
    available_from = fields.Date(required=True)
    pets_allowed = fields.Boolean(load_default=False)

    @validates("rooms")
    def _half_rooms(self, value, **kwargs):
        if (value * 2) % 1:
            raise ValidationError("rooms are counted in halves (e.g. 2 or 2.5)")


class FlatPatch(FlatIn):
    """Corrections while a flat is on offer (proposals keep their snapshot of the old values)."""

    class Meta:
        exclude = ("company_id",)


class FlatOut(Schema):
    id = fields.String(required=True)
    company_id = fields.String(required=True)
    unit_ref = fields.String(allow_none=True, required=True)
    street = fields.String(required=True)
    postal_code = fields.String(required=True)
    city = fields.String(required=True)
    district = fields.String(required=True)
    rooms = fields.Float(required=True)
    area_m2 = fields.Float(required=True)
    floor = fields.Integer(required=True)
    lift = fields.Boolean(required=True)
    barrier_free = fields.Boolean(required=True)
    wheelchair_accessible = fields.Boolean(required=True)
    cold_rent_cents = fields.Integer(required=True)
    service_charges_cents = fields.Integer(required=True)
    heating_cents = fields.Integer(required=True)
    gross_rent_cents = fields.Integer(required=True)
    available_from = fields.Date(required=True)
    pets_allowed = fields.Boolean(required=True)
    status = fields.String(required=True)
    offered_at = fields.DateTime(required=True)


class FlatQuery(Schema):
    status = fields.String(validate=one_of(FlatState))


class RunOut(Schema):
    id = fields.String(required=True)
    status = fields.String(required=True, validate=one_of(RunState), metadata={
        "description": "pending until the worker has run it; the figures below count once completed"})
    finished_at = fields.DateTime(allow_none=True, required=True)
    error = fields.String(allow_none=True, required=True, metadata={"description": "why a failed run failed"})
    started_at = fields.DateTime(required=True)
    started_by = fields.String(required=True)
    households_considered = fields.Integer(required=True)
    flats_considered = fields.Integer(required=True)
    eligible_pairs = fields.Integer(required=True)
    proposals_created = fields.Integer(required=True)
    total_score = fields.Float(required=True)
    duration_ms = fields.Integer(required=True)
    certified_optimal = fields.Boolean(required=True)
    score_upper_bound = fields.Float(allow_none=True, required=True, metadata={"description": "proven bound on the best possible total score"})


class ProposalIn(Schema):
    flat_id = fields.UUID(required=True)
    household_id = fields.UUID(required=True)


class PartyIn(Schema):
    party = fields.String(load_default=None, validate=one_of(Party),
                          metadata={"description": "staff must say whose answer it records; companies answer for themselves"})


class DeclineIn(PartyIn):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=60))
    text = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class LeaseIn(Schema):
    lease_start = fields.Date(required=True)
    unlimited = fields.Boolean(required=True)
    graduated_rent = fields.Boolean(load_default=False)
    index_linked_rent = fields.Boolean(load_default=False)
    cold_rent_cents = _cents(minimum=1)
    service_charges_cents = _cents()
    heating_cents = _cents()
    signed_on = fields.Date(load_default=None, allow_none=True)


class RuleOut(Schema):
    rule = fields.String(required=True)
    passed = fields.Boolean(required=True)
    reason = fields.String(required=True)


class ProposalOut(PurposeBoundSchema):
    # A company never sees what reveals urgency or the referral's reasons: the score breakdown
    # (urgency points), the rule results (they name the household's rent limit, which an override
    # ties to the person, and its excluded districts) and the snapshot. Another party's decline
    # text is removed per proposal (matching.api).
    views = Views(staff=ALL, admin=ALL, company={
        "run_id", "flat_id", "household_id", "company_id", "status", "company_answer", "household_answer",
        "score", "respond_by", "created_at", "decided_at", "decline_party", "decline_reason", "decline_text",
        "lease", "household", "referral_no"})
    household_key = "household_id"
    id = fields.String(required=True)
    run_id = fields.String(allow_none=True, required=True)
    flat_id = fields.String(required=True)
    household_id = fields.String(required=True)
    referral_no = fields.String(allow_none=True, required=True, metadata={
        "description": "The household's referral number (the same name in every WohnenPlus service); a company "
                       "sees it once it accepted, like the household's name. Null once the household's data was erased",
        "example": "AfSuT-2026-0815"})
    company_id = fields.String(required=True)
    status = fields.String(required=True)
    company_answer = fields.String(allow_none=True, required=True)
    household_answer = fields.String(allow_none=True, required=True)
    score = fields.Float(required=True)
    score_breakdown = fields.Dict(required=True)
    rules_passed = fields.List(fields.Nested(RuleOut), required=True)
    respond_by = fields.Date(required=True)
    created_at = fields.DateTime(required=True)
    decided_at = fields.DateTime(allow_none=True, required=True)
    decline_party = fields.String(allow_none=True, required=True)
    decline_reason = fields.String(allow_none=True, required=True)
    decline_text = fields.String(allow_none=True, required=True)
    lease = fields.Dict(allow_none=True, required=True)
    household = fields.Dict(metadata={"description": "pseudonymous profile; name and contact only once the company accepted"}, required=True)
    snapshot = fields.Dict(metadata={"description": "frozen inputs (staff only)"}, required=True)


class ProposalQuery(Schema):
    status = fields.String(validate=one_of(ProposalState))


class VerdictOut(Schema):
    id = fields.String(required=True)
    eligible = fields.Boolean(required=True)
    failed_rules = fields.List(fields.Nested(RuleOut), required=True)
    score = fields.Dict(allow_none=True, required=True)


class WhyNotOut(Schema):
    """A household's verdict on each flat."""
    eligible = fields.List(fields.Nested(VerdictOut), required=True)
    excluded = fields.List(fields.Nested(VerdictOut), required=True)


class HouseholdVerdictOut(VerdictOut, PurposeBoundSchema):
    """One household's verdict on a flat: it tells the household's rent limit, needs and excluded districts."""
    household_key = "id"


class FlatWhyNotOut(Schema):
    """Each household's verdict on one flat."""
    eligible = fields.List(fields.Nested(HouseholdVerdictOut), required=True)
    excluded = fields.List(fields.Nested(HouseholdVerdictOut), required=True)


class PeriodQuery(Schema):
    from_ = fields.Date(data_key="from")
    to = fields.Date()

    @validates_schema
    def _order(self, data, **kwargs):
        if data.get("from_") and data.get("to") and data["to"] <= data["from_"]:
            raise ValidationError("must be after from", "to")


class DeclineCountOut(Schema):
    party = fields.String(required=True)
    reason = fields.String(required=True)
    label_de = fields.String(required=True)
    counts_towards_review = fields.Boolean(required=True)
    count = fields.Integer(required=True)


class ErasureIn(Schema):
    reason = fields.String(load_default="request", validate=validate.OneOf(("request",)),
                           metadata={"description": "request: Art. 17 GDPR (retention erasures are the worker's)"})
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000),
                         metadata={"description": "the officer's note, stored encrypted"})


class ErasureAnswerOut(Schema):
    service = fields.String(required=True)
    status = fields.String(metadata={"description": "erased | postponed"}, required=True)
    hold = fields.String(allow_none=True, required=True, metadata={"description": "why a service postpones, e.g. open_claim"})
    answered_at = fields.DateTime(required=True)


class ErasureOut(PurposeBoundSchema):
    household_key = "household_id"
    id = fields.String(required=True)
    household_id = fields.String(required=True)
    reason = fields.String(metadata={"description": "request (Art. 17) or retention"}, required=True)
    note = fields.String(allow_none=True, required=True)
    requested_at = fields.DateTime(required=True)
    requested_by = fields.String(required=True)
    state = fields.String(metadata={"description": "complete once every service erased; postponed while one holds it back; else pending"}, required=True)
    services = fields.List(fields.Nested(ErasureAnswerOut), required=True, metadata={"description": "each service's answer so far"})


class RegisteredCompanyOut(Schema):
    company_id = fields.String(required=True)
    registered_at = fields.DateTime(required=True, metadata={"description": "when matching learned of the company"})
