"""Request and response schemas (marshmallow); flask-smorest turns them into the OpenAPI document.

Strict on purpose: unknown fields are refused (a typo never silently drops data), integers must be
JSON integers (no "100", no 1.5), enums are closed, and every field error names its field.

Response schemas that carry a household's data are purpose-bound (`views`): each role receives the
fields its task needs. `household_key` names the household an object concerns and
`household_fields` the fields about it: an answer whose projection hands out any of them is logged
as a read of that household's data (servicekit.privacy.access), others are not.
"""

from __future__ import annotations

import base64
import binascii
import re

from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validate, validates_schema
from werkzeug.datastructures import FileStorage

from servicekit.privacy import ALL, PurposeBoundSchema, Views

from contracts import domain
from contracts.domain.evidence import (ALLOWED_CONTENT_TYPES, EXTENSIONS, MAX_DOCUMENT_BYTES, MAX_DOCUMENTS, EvidenceKind,
                                      extension_matches, normalise_filename)

# One household, one reference under one name in all four services: the social office's referral
# number. `household_reference` was this service's name for it and stays as a deprecated alias.
REFERRAL_NO_DOC = {"description": "The household's referral number from the social office (null when matching "
                                  "gave none, or once erased); the same name in every WohnenPlus service",
                   "example": "AfSuT-2026-0815"}
DEPRECATED_REFERENCE_DOC = {"deprecated": True, "description": "Deprecated alias of `referral_no` (same value)"}

MONEY = validate.Range(min=1, max=100_000_000, error="Must be between 1 and 100000000 cents.")


def _enum(enum_cls, **kwargs) -> fields.String:
    values = [e.value for e in enum_cls]
    return fields.String(validate=validate.OneOf(values), metadata={"enum": values, **kwargs.pop("metadata", {})},
                         **kwargs)


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE
        ordered = True


class MonthField(fields.Field):
    """A calendar month as `YYYY-MM`."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise ValidationError("Must be a month as YYYY-MM.")
        try:
            return domain.Month.parse(value)
        except ValueError as exc:
            raise ValidationError("Must be a month as YYYY-MM.") from exc

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else str(value)

    def _jsonschema_type_mapping(self):  # pragma: no cover - documentation only
        return {"type": "string", "pattern": r"^\d{4}-\d{2}$"}


# --------------------------------------------------------------------------- companies


class CompanyIn(StrictSchema):
    id = fields.UUID(load_default=None, metadata={
        "description": "Optional: the company_id the identity provider already issues in this company's tokens. "
                       "Omit it and the service assigns one."})
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    email = fields.Email(required=True, metadata={"description": "Contact address for contract mail"})
    street = fields.String(required=True, validate=validate.Length(min=1, max=200))
    postal_code = fields.String(required=True, validate=validate.Regexp(r"^\d{5}$", error="Must be 5 digits."))
    city = fields.String(required=True, validate=validate.Length(min=1, max=100))
    phone = fields.String(load_default=None, validate=validate.Length(max=40))
    quota_flats_per_year = fields.Integer(strict=True, load_default=None, validate=validate.Range(min=0, max=10_000),
                                          metadata={"description": "Flats the company committed to offer per year"})


class CompanyPatch(StrictSchema):
    """Fields an admin may change; the name and id stay as registered."""

    email = fields.Email()
    street = fields.String(validate=validate.Length(min=1, max=200))
    postal_code = fields.String(validate=validate.Regexp(r"^\d{5}$", error="Must be 5 digits."))
    city = fields.String(validate=validate.Length(min=1, max=100))
    phone = fields.String(allow_none=True, validate=validate.Length(max=40))
    quota_flats_per_year = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=0, max=10_000))

    @validates_schema
    def _not_empty(self, data, **kwargs):
        if not data:
            raise ValidationError("Give at least one field to change.", "_schema")


class CompanyOut(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    email = fields.String(required=True)
    street = fields.String(allow_none=True)
    postal_code = fields.String(allow_none=True)
    city = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    quota_flats_per_year = fields.Integer(allow_none=True)
    registered_at = fields.DateTime(required=True)


class TrackRecordQuery(StrictSchema):
    year = fields.Integer(strict=False, load_default=None, validate=validate.Range(min=2000, max=2100),
                          metadata={"description": "Calendar year (Europe/Berlin); default: the current year"})


class TrackRecordOut(Schema):
    company_id = fields.String(required=True)
    year = fields.Integer(required=True)
    quota_flats_per_year = fields.Integer(allow_none=True)
    flats_offered = fields.Integer(required=True, metadata={"description": "Flats offered into matching in the year"})
    quota_met = fields.Boolean(allow_none=True)
    proposals_received = fields.Integer(required=True)
    proposals_accepted_by_company = fields.Integer(required=True)
    proposals_declined_by_company = fields.Integer(required=True)
    proposals_declined_by_household = fields.Integer(required=True)
    proposals_expired = fields.Integer(required=True)
    tenancies_started = fields.Integer(required=True, metadata={"description": "Leases starting in the year"})
    guarantees_active = fields.Integer(required=True, metadata={"description": "Active guarantees now"})
    guarantees_by_state = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    claims_filed = fields.Integer(required=True, metadata={"description": "Claims first submitted in the year"})
    claims_by_status = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    claims_approved_cents = fields.Integer(required=True)
    payouts_cents = fields.Integer(required=True, metadata={"description": "Paid out in the year"})
    incidents_reported = fields.Integer(required=True)


# --------------------------------------------------------------------------- tenancies


class AddressSchema(Schema):
    street = fields.String(allow_none=True)
    postal_code = fields.String(allow_none=True)
    city = fields.String(allow_none=True)
    district = fields.String(allow_none=True)


class HouseholdOut(Schema):
    name = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    size = fields.Integer(allow_none=True)


_TENANCY_MONEY = {"company_id", "flat_id", "lease_start", "cold_rent_cents", "service_charges_cents", "heating_cents"}


_HOUSEHOLD_OUT = HouseholdOut()  # built once: a schema's construction costs more than a dump


class TenancyOut(PurposeBoundSchema):
    """The lease: the landlord and the social office see the household it houses; finance sees the
    rent figures that bound an arrears claim, not who lives there."""

    views = Views(staff=ALL, admin=ALL, company=ALL, finance=_TENANCY_MONEY)
    household_key = "household_id"
    household_fields = frozenset({"household_id", "referral_no", "household_reference", "household", "address"})

    id = fields.String(required=True)
    proposal_id = fields.String(required=True)
    household_id = fields.String(required=True)
    referral_no = fields.String(attribute="household_reference", dump_only=True, allow_none=True, metadata=REFERRAL_NO_DOC)
    household_reference = fields.String(allow_none=True, metadata=DEPRECATED_REFERENCE_DOC)
    company_id = fields.String(required=True)
    flat_id = fields.String(required=True)
    lease_start = fields.Date(required=True)
    cold_rent_cents = fields.Integer(required=True)
    service_charges_cents = fields.Integer(required=True)
    heating_cents = fields.Integer(required=True)
    address = fields.Method("_address")
    household = fields.Method("_household", metadata={
        "description": "Name, contact and size of the household living in the flat (null once erased)"})

    def _address(self, obj):
        return {"street": obj.street, "postal_code": obj.postal_code, "city": obj.city, "district": obj.district}

    def _household(self, obj):
        return _HOUSEHOLD_OUT.dump({"name": obj.household_name, "email": obj.household_email,
                                    "phone": obj.household_phone, "size": obj.household_size})


class _EventAddress(Schema):
    class Meta:
        unknown = "exclude"

    street = fields.String(load_default=None, validate=validate.Length(max=200))
    postal_code = fields.String(load_default=None, validate=validate.Length(max=10))
    city = fields.String(load_default=None, validate=validate.Length(max=100))
    district = fields.String(load_default=None, validate=validate.Length(max=100))


class _EventHousehold(Schema):
    class Meta:
        unknown = "exclude"

    name = fields.String(load_default=None, validate=validate.Length(max=200))
    email = fields.String(load_default=None, validate=validate.Length(max=254))
    phone = fields.String(load_default=None, validate=validate.Length(max=40))
    size = fields.Integer(load_default=None, validate=validate.Range(min=1, max=30))


class TenancyEvent(Schema):
    """What contracts reads from `matching.tenancy.agreed` (its own view of matching's event)."""

    class Meta:
        unknown = "exclude"

    proposal_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    flat_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    household_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    company_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    lease_start = fields.Date(required=True)
    # optional: events published before matching carried it leave it unknown (None), not "unlimited"
    lease_unlimited = fields.Boolean(load_default=None, allow_none=True)
    # a flat's monthly rent above 10,000 EUR is a data error, not a WohnenPlus tenancy
    cold_rent_cents = fields.Integer(required=True, validate=validate.Range(min=0, max=1_000_000))
    service_charges_cents = fields.Integer(required=True, validate=validate.Range(min=0, max=1_000_000))
    heating_cents = fields.Integer(load_default=0, allow_none=True, validate=validate.Range(min=0, max=1_000_000))
    # missing contact or address data must not stop a guarantee: the PDF names what is missing
    address = fields.Nested(_EventAddress, load_default=dict, allow_none=True)
    household = fields.Nested(_EventHousehold, load_default=dict, allow_none=True)
    household_reference = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))


class TenancyEventV2(TenancyEvent):
    """Version 2 of `matching.tenancy.agreed`: the referral number arrives as `referral_no` and is
    kept where version 1's `household_reference` goes."""

    household_reference = fields.String(data_key="referral_no", load_default=None, allow_none=True,
                                        validate=validate.Length(max=64))


class ErasureRequestEvent(Schema):
    """What contracts reads from `matching.household.erasure_requested`."""

    class Meta:
        unknown = "exclude"

    household_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    request_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    reason = fields.String(load_default="request", validate=validate.Length(min=1, max=20))


class FlatEvent(Schema):
    class Meta:
        unknown = "exclude"

    flat_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    company_id = fields.String(required=True, validate=validate.Length(min=1, max=36))


class ProposalEvent(Schema):
    class Meta:
        unknown = "exclude"

    proposal_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    company_id = fields.String(load_default=None, validate=validate.Length(max=36))
    party = fields.String(load_default=None)


# --------------------------------------------------------------------------- contracts


class CapOut(Schema):
    name = fields.String(required=True)
    kinds = fields.List(fields.String(), required=True)
    cap_cents = fields.Integer(required=True)
    remaining_cents = fields.Integer(required=True, metadata={
        "description": "cap − open claims − approved amounts: the most a new claim of these kinds can ask"})


class SignatureOut(Schema):
    signed_at = fields.DateTime(required=True)
    signed_by = fields.String(required=True)


_CONTRACT_FIGURES = {
    "contract_no", "state", "company_id", "term_start", "term_end", "covered_until", "monthly_covered_rent_cents",
    "coverage", "config_version", "city_signature", "company_signature", "activated_at", "expiry_notices_sent",
    "ended_on", "termination_reason", "created_at", "updated_at",
}


class ContractOut(PurposeBoundSchema):
    """Finance works with contract numbers, terms and caps; the company with its tenancy (the social
    office's note on an early end stays with the social office)."""

    views = Views(staff=ALL, admin=ALL, finance=_CONTRACT_FIGURES,
                  company=_CONTRACT_FIGURES | {"household_id", "referral_no", "household_reference", "tenancy"})
    household_key = "household_id"
    household_fields = frozenset({"household_id", "referral_no", "household_reference", "tenancy", "termination_note"})

    id = fields.String(required=True)
    contract_no = fields.String(required=True, metadata={"example": "GV-2026-00042"})
    state = fields.String(required=True, metadata={"enum": [s.value for s in domain.ContractState]})
    company_id = fields.String(required=True)
    household_id = fields.String(required=True)
    referral_no = fields.String(attribute="household_reference", dump_only=True, allow_none=True, metadata=REFERRAL_NO_DOC)
    household_reference = fields.String(allow_none=True, metadata=DEPRECATED_REFERENCE_DOC)
    tenancy = fields.Nested(TenancyOut, required=True)
    term_start = fields.Date(required=True, metadata={"description": "Lease start; first covered day"})
    term_end = fields.Date(required=True, metadata={"description": "Last covered day (inclusive): the day before the 5th anniversary"})
    covered_until = fields.Date(required=True, metadata={"description": "term_end, or the effective date of an early termination"})
    monthly_covered_rent_cents = fields.Integer(required=True, metadata={"description": "Cold rent + service charges"})
    coverage = fields.List(fields.Nested(CapOut), required=True)
    config_version = fields.String(required=True)
    city_signature = fields.Nested(SignatureOut, allow_none=True)
    company_signature = fields.Nested(SignatureOut, allow_none=True)
    activated_at = fields.DateTime(allow_none=True)
    expiry_notices_sent = fields.List(fields.Integer(), required=True)
    ended_on = fields.Date(allow_none=True)
    termination_reason = fields.String(allow_none=True)
    termination_note = fields.String(allow_none=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


class HouseholdLookup(StrictSchema):
    """The lookups a company knows from matching: the proposal it answered, the household it housed,
    the referral number it was told. Each narrows the caller's own list; none widens it."""

    proposal_id = fields.UUID(metadata={"description": "The matching proposal the lease came from"})
    household_id = fields.UUID()
    referral_no = fields.String(validate=validate.Length(min=1, max=64), metadata={
        "description": "The household's referral number (the same name in every WohnenPlus service)"})
    company_id = fields.String(validate=validate.Length(min=1, max=36),
                               metadata={"description": "Staff only; a company always sees just its own"})


class TenancyQuery(HouseholdLookup):
    pass


class ContractQuery(HouseholdLookup):
    state = _enum(domain.ContractState, load_default=None)
    term_end_before = fields.Date(load_default=None, metadata={"description": "Only contracts whose term ends before this date"})
    household_reference = fields.String(load_default=None, validate=validate.Length(min=1, max=64), metadata={
        "deprecated": True, "description": "Deprecated: use `referral_no` (same value)"})


class SignIn(StrictSchema):
    party = _enum(domain.Party, load_default=None, metadata={
        "description": "Optional: the token decides (staff sign for the `city`, a company token for the "
                       "`company`). When given it must match the token, else 403."})


class TerminateIn(StrictSchema):
    reason = _enum(domain.TerminationReason, required=True)
    effective_on = fields.Date(required=True, metadata={"description": "Last covered day; inside the term"})
    note = fields.String(load_default=None, validate=validate.Length(max=2000),
                         metadata={"description": "Required for reason `other`"})


# --------------------------------------------------------------------------- claims

_SIGNATURES = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
}
_FILENAME = re.compile(r"^[^/\\\x00-\x1f]{1,200}$")


def _matches(content: bytes, content_type: str) -> bool:
    """The bytes are what the declared type says (a renamed .exe is no PDF)."""
    return content.startswith(_SIGNATURES.get(content_type, (b"\x00invalid",)))


def _checked_filename(filename: str, content_type: str) -> str:
    """The name normalised (no bidi overrides, control or zero-width characters), and its extension
    the one of the type the content was checked to be: `rechnung.html` holding `%PDF-` is refused,
    so no name ever suggests another type than the one served."""
    name = normalise_filename(filename)
    if not _FILENAME.match(name):
        raise ValidationError("The filename must have 1-200 visible characters, no path.")
    if not extension_matches(name, content_type):
        raise ValidationError(f"{name}: a {content_type} file's name must end in "
                              f"{' or '.join(EXTENSIONS[content_type])}.")
    return name


class DocumentIn(StrictSchema):
    kind = _enum(EvidenceKind, required=True, metadata={
        "description": "rent_ledger (needed for rent_arrears), invoice (needed for the other kinds), photo, other"})
    filename = fields.String(required=True, validate=validate.Regexp(_FILENAME, error="1-200 characters, no path."),
                             metadata={"description": "Ends in the type's extension (.pdf, .png, .jpg/.jpeg); bidi, "
                                                      "control and zero-width characters are removed"})
    content_type = fields.String(required=True, validate=validate.OneOf(sorted(ALLOWED_CONTENT_TYPES)))
    content_base64 = fields.String(required=True, metadata={
        "description": f"The file, base64-encoded; at most {MAX_DOCUMENT_BYTES} bytes decoded"})

    @validates_schema
    def _content(self, data, **kwargs):
        try:
            content = base64.b64decode(data["content_base64"], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValidationError("Not valid base64.", "content_base64") from exc
        if not content or len(content) > MAX_DOCUMENT_BYTES:
            raise ValidationError(f"Must decode to 1..{MAX_DOCUMENT_BYTES} bytes.", "content_base64")
        if not _matches(content, data["content_type"]):
            raise ValidationError(f"The content is not a {data['content_type']} file.", "content_base64")
        try:
            data["filename"] = _checked_filename(data["filename"], data["content_type"])
        except ValidationError as exc:
            raise ValidationError(exc.messages, "filename") from exc
        data["_content"] = content

    @post_load
    def _upload(self, data, **kwargs):
        from contracts.usecases.claims import Upload

        return Upload(data["kind"], data["filename"], data["content_type"], data["_content"])


class PeriodSchema(StrictSchema):
    # a custom field has no OpenAPI type of its own: say it, or generators read Any
    first = MonthField(required=True, metadata={"type": "string", "pattern": r"^\d{4}-\d{2}$", "example": "2027-01"})
    last = MonthField(required=True, metadata={"type": "string", "pattern": r"^\d{4}-\d{2}$", "example": "2027-03"})

    @validates_schema
    def _order(self, data, **kwargs):
        if data["last"] < data["first"]:
            raise ValidationError("Must not be before first.", "last")

    @post_load
    def _period(self, data, **kwargs):
        return domain.MonthPeriod(data["first"], data["last"])


class ClaimIn(StrictSchema):
    kind = _enum(domain.LossKind, required=True)
    amount_cents = fields.Integer(strict=True, required=True, validate=MONEY)
    period = fields.Nested(PeriodSchema, load_default=None, metadata={
        "description": "Months of unpaid rent, both included: required for rent_arrears, refused for other kinds"})
    description = fields.String(required=True, validate=validate.Length(min=1, max=4000))
    evidence = fields.List(fields.Nested(DocumentIn), required=True,
                           validate=validate.Length(min=1, max=MAX_DOCUMENTS))


class EvidenceFile(fields.Field):
    """One uploaded file part of a multipart claim; its part name is its evidence kind."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, FileStorage) or not value.filename:
            raise ValidationError("Must be a file part (with a filename).")
        filename = value.filename
        if not _FILENAME.match(filename):
            raise ValidationError("The filename must have 1-200 characters, no path.")
        content = value.stream.read(MAX_DOCUMENT_BYTES + 1)
        if not content or len(content) > MAX_DOCUMENT_BYTES:
            raise ValidationError(f"{filename}: must have 1..{MAX_DOCUMENT_BYTES} bytes.")
        content_type = value.mimetype
        if content_type in ("", "application/octet-stream"):
            # many upload tools send no type of their own: the content then decides, as checked below
            content_type = next((t for t in _SIGNATURES if _matches(content, t)), content_type or "(none)")
        if content_type not in ALLOWED_CONTENT_TYPES:
            raise ValidationError(
                f"{filename}: content type must be one of {', '.join(sorted(ALLOWED_CONTENT_TYPES))}.")
        if not _matches(content, content_type):
            raise ValidationError(f"{filename}: the content is not a {content_type} file.")
        return {"filename": _checked_filename(filename, content_type), "content_type": content_type, "content": content}


class PeriodText(fields.Field):
    """Months as one form value: `YYYY-MM` (one month) or `YYYY-MM/YYYY-MM` (both included)."""

    def _deserialize(self, value, attr, data, **kwargs):
        parts = value.split("/") if isinstance(value, str) else []
        if len(parts) not in (1, 2):
            raise ValidationError("Must be YYYY-MM or YYYY-MM/YYYY-MM.")
        try:
            first, last = domain.Month.parse(parts[0]), domain.Month.parse(parts[-1])
        except ValueError as exc:
            raise ValidationError("Must be YYYY-MM or YYYY-MM/YYYY-MM.") from exc
        if last < first:
            raise ValidationError("The last month must not be before the first.")
        return domain.MonthPeriod(first, last)


_EVIDENCE_PART = "Evidence files of kind `{kind}` (repeat the part for several files): PDF, PNG or JPEG, " \
    f"at most {MAX_DOCUMENT_BYTES} bytes each, {MAX_DOCUMENTS} files per claim; the part's Content-Type " \
    "(or, when it is application/octet-stream, the content) decides the type"


def _evidence_part(kind: EvidenceKind) -> fields.List:
    return fields.List(EvidenceFile(metadata={"type": "string", "format": "binary"}), load_default=list,
                       metadata={"description": _EVIDENCE_PART.format(kind=kind.value)})


class ClaimUploadIn(StrictSchema):
    """A claim as `multipart/form-data`: the same fields as the JSON body, the evidence as file parts
    named after their kind instead of base64 inside JSON."""

    kind = _enum(domain.LossKind, required=True)
    amount_cents = fields.Integer(required=True, validate=MONEY, metadata={"description": "Integer cents, e.g. 50000"})
    period = PeriodText(load_default=None, metadata={
        "type": "string", "pattern": r"^\d{4}-\d{2}(/\d{4}-\d{2})?$",
        "description": "Months of unpaid rent, both included, as `YYYY-MM/YYYY-MM` (or `YYYY-MM` for one): "
                       "required for rent_arrears, refused for other kinds", "example": "2027-01/2027-03"})
    description = fields.String(required=True, validate=validate.Length(min=1, max=4000))
    rent_ledger = _evidence_part(EvidenceKind.RENT_LEDGER)
    invoice = _evidence_part(EvidenceKind.INVOICE)
    photo = _evidence_part(EvidenceKind.PHOTO)
    other = _evidence_part(EvidenceKind.OTHER)

    @validates_schema
    def _how_many(self, data, **kwargs):
        present = [k.value for k in EvidenceKind if data.get(k.value)]
        if sum(len(data[k]) for k in present) > MAX_DOCUMENTS:
            raise ValidationError(f"At most {MAX_DOCUMENTS} evidence files per claim.", present[-1])

    @post_load
    def _as_claim(self, data, **kwargs):
        from contracts.usecases.claims import Upload

        uploads = [Upload(kind.value, f["filename"], f["content_type"], f["content"])
                   for kind in EvidenceKind for f in data.pop(kind.value)]
        return {**data, "evidence": uploads}


class ResubmitIn(StrictSchema):
    amount_cents = fields.Integer(strict=True, load_default=None, validate=MONEY)
    description = fields.String(required=True, validate=validate.Length(min=1, max=4000),
                                metadata={"description": "The answer to finance's question"})
    evidence = fields.List(fields.Nested(DocumentIn), load_default=list, validate=validate.Length(max=MAX_DOCUMENTS))


class DocumentOut(Schema):
    id = fields.String(required=True)
    kind = fields.String(required=True)
    filename = fields.String(required=True)
    content_type = fields.String(required=True)
    size = fields.Integer(required=True)
    sha256 = fields.String(required=True)
    uploaded_at = fields.DateTime(required=True)


class ClaimOut(PurposeBoundSchema):
    """Everyone who handles a claim needs its reasons and evidence: the company that files it, finance
    deciding it, the social office. Its texts are about the household, so every read is logged."""

    views = Views(staff=ALL, admin=ALL, finance=ALL, company=ALL)
    household_key = "household_id"
    household_fields = frozenset({"description", "decision_reason", "documents"})

    id = fields.String(required=True)
    contract_id = fields.String(required=True)
    company_id = fields.String(required=True)
    kind = fields.String(required=True)
    amount_cents = fields.Integer(required=True)
    # the same object ClaimIn takes (a Method field has no type of its own: generators made it Any)
    period = fields.Method("_period", allow_none=True, metadata={
        "anyOf": [{"$ref": "#/components/schemas/Period"}, {"type": "null"}],
        "description": "the months of unpaid rent a rent_arrears claim covers; null for other kinds"})
    description = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": [s.value for s in domain.ClaimStatus]})
    approved_cents = fields.Integer(allow_none=True)
    decision_reason = fields.String(allow_none=True)
    first_submitted_at = fields.DateTime(required=True)
    submitted_at = fields.DateTime(required=True)
    decided_at = fields.DateTime(allow_none=True)
    paid_at = fields.DateTime(allow_none=True)
    payout_reference = fields.String(allow_none=True)
    documents = fields.List(fields.Nested(DocumentOut), required=True)

    def _period(self, obj):
        return {"first": obj.period_first, "last": obj.period_last} if obj.period_first else None


class ClaimQuery(StrictSchema):
    status = _enum(domain.ClaimStatus, load_default=None)
    kind = _enum(domain.LossKind, load_default=None)
    contract_id = fields.String(load_default=None, validate=validate.Length(min=1, max=36))
    company_id = fields.String(load_default=None, validate=validate.Length(min=1, max=36),
                               metadata={"description": "Staff only; a company always sees just its own"})


class DecisionIn(StrictSchema):
    decision = _enum(domain.Decision, required=True, metadata={
        "description": "approve (in full, or in part with approved_cents and reason), reject (reason), "
                       "return (to the company with a question in reason)"})
    approved_cents = fields.Integer(strict=True, load_default=None, validate=MONEY)
    reason = fields.String(load_default=None, validate=validate.Length(max=2000))


class PayoutIn(StrictSchema):
    reference = fields.String(required=True, validate=validate.Length(min=1, max=120),
                              metadata={"description": "The payment order's reference in the city's finance system"})


# --------------------------------------------------------------------------- incidents


class IncidentIn(StrictSchema):
    kind = _enum(domain.IncidentKind, required=True)
    severity = _enum(domain.Severity, required=True)
    description = fields.String(required=True, validate=validate.Length(min=1, max=4000))


class IncidentOut(PurposeBoundSchema):
    """Incidents are support's business; finance counts them but does not read what happened."""

    views = Views(staff=ALL, admin=ALL, company=ALL,
                  finance={"contract_id", "company_id", "kind", "severity", "reported_at"})
    household_key = "household_id"
    household_fields = frozenset({"description"})

    id = fields.String(required=True)
    contract_id = fields.String(required=True)
    company_id = fields.String(required=True)
    kind = fields.String(required=True)
    severity = fields.String(required=True)
    description = fields.String(required=True)
    reported_at = fields.DateTime(required=True)


class IncidentQuery(StrictSchema):
    kind = _enum(domain.IncidentKind, load_default=None)
    severity = _enum(domain.Severity, load_default=None)
    contract_id = fields.String(load_default=None, validate=validate.Length(min=1, max=36))
    company_id = fields.String(load_default=None, validate=validate.Length(min=1, max=36),
                               metadata={"description": "Staff only; a company always sees just its own"})


class AuditEntryOut(Schema):
    at = fields.DateTime(required=True)
    actor = fields.String(required=True)
    actor_role = fields.String(required=True)
    entity = fields.String(required=True)
    entity_id = fields.String(required=True)
    action = fields.String(required=True)
    from_state = fields.String(allow_none=True)
    to_state = fields.String(allow_none=True)
    detail = fields.Dict(allow_none=True)
