"""Recipients: who a route addresses, and what an event teaches the recipient directory."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from .addresses import InvalidEmailAddress, parse_email_address
from .catalogue import MAILBOX_ROLES, Event, InvalidEvent, Role
from .email_message import one_line


@dataclass(frozen=True)
class RecipientRef:
    """A recipient as the directory knows it: ``company:<id>``, ``household:<id>``,
    ``caseworker:<id>`` or ``mailbox:<staff|finance|operators>``. Never an email address, so it
    may appear in events and logs."""

    kind: str
    id: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}"

    @classmethod
    def parse(cls, text: str) -> "RecipientRef":
        kind, sep, ident = text.partition(":")
        if not sep or not kind or not ident:
            raise ValueError(f"not a recipient reference: {text!r}")
        return cls(kind, ident)


@dataclass(frozen=True)
class Resolution:
    ref: RecipientRef
    #: True when the intended person is unknown and a shared mailbox stands in for them.
    fallback: bool = False


ContactPersonLookup = Callable[[str], "str | None"]


def _required(data: Mapping[str, Any], key: str, event_type: str) -> str:
    value = data.get(key)
    if value in (None, ""):
        raise InvalidEvent(f"{event_type}: data lacks {key!r}")
    return str(value)


def resolve_recipient(
    role: Role,
    event_type: str,
    data: Mapping[str, Any],
    contact_person_of: ContactPersonLookup,
    household_of_case: Callable[[str], "str | None"] | None = None,
) -> Resolution:
    """The recipient a route means for this event.

    The fixed contact person comes with ``support.case.opened``; for later events about a
    household it is looked up in the directory. If none is known yet, the staff mailbox gets the
    message instead: an incident that reaches nobody is worse than one that reaches the team.
    """
    if role in MAILBOX_ROLES:
        return Resolution(RecipientRef("mailbox", role.value))
    if role is Role.COMPANY:
        return Resolution(RecipientRef("company", _required(data, "company_id", event_type)))
    if role is Role.HOUSEHOLD:
        # Appointment events may name only the case; the directory knows the case's household.
        if not data.get("household_id") and data.get("case_id") and household_of_case:
            household_id = household_of_case(str(data["case_id"]))
            if household_id:
                return Resolution(RecipientRef("household", household_id))
        return Resolution(RecipientRef("household", _required(data, "household_id", event_type)))
    if role is Role.CASEWORKER:
        return Resolution(RecipientRef("caseworker", _required(data, "caseworker_id", event_type)))
    if role is Role.CONTACT_PERSON:
        contact = data.get("contact_person")
        if isinstance(contact, Mapping) and contact.get("id"):
            return Resolution(RecipientRef("caseworker", str(contact["id"])))
        if data.get("contact_person_id"):
            return Resolution(RecipientRef("caseworker", str(data["contact_person_id"])))
        caseworker_id = contact_person_of(_required(data, "household_id", event_type))
        if caseworker_id:
            return Resolution(RecipientRef("caseworker", caseworker_id))
        return Resolution(RecipientRef("mailbox", Role.STAFF.value), fallback=True)
    raise ValueError(f"unhandled role {role}")


# --- what events teach the recipient directory -------------------------------------------


@dataclass(frozen=True)
class ContactDetails:
    """Name and reachability of a recipient, as the latest event told it."""

    kind: str
    id: str
    name: str | None = None
    email: str | None = None
    phone: str | None = None

    @property
    def ref(self) -> RecipientRef:
        return RecipientRef(self.kind, self.id)


@dataclass(frozen=True)
class ContactPersonAssigned:
    household_id: str
    caseworker_id: str
    case_id: str


@dataclass(frozen=True)
class ContactPersonReleased:
    household_id: str
    case_id: str


DirectoryFact = ContactDetails | ContactPersonAssigned | ContactPersonReleased


def _email_or_none(value: Any) -> str | None:
    # A malformed address in an event must not block the event: the recipient still gets the
    # inbox message, only the email channel is skipped.
    if not value:
        return None
    try:
        return parse_email_address(str(value))
    except InvalidEmailAddress:
        return None


def _text_or_none(value: Any) -> str | None:
    # Names and phone numbers are one line each: line breaks and control characters become spaces.
    return one_line(str(value)) or None if value not in (None, "") else None


def _details(kind: str, ident: str, source: Mapping[str, Any], *, phone: bool = True) -> ContactDetails:
    """What `source` (the event data or an object in it) tells about a recipient."""
    return ContactDetails(kind, ident, _text_or_none(source.get("name")), _email_or_none(source.get("email")),
                          _text_or_none(source.get("phone")) if phone else None)


def _company_registered(data: Mapping[str, Any], kind: str) -> list[DirectoryFact]:
    return [_details("company", _required(data, "company_id", kind), data, phone=False)]


def _caseworker_registered(data: Mapping[str, Any], kind: str) -> list[DirectoryFact]:
    return [_details("caseworker", _required(data, "caseworker_id", kind), data, phone=False)]


def _tenancy_agreed(data: Mapping[str, Any], kind: str) -> list[DirectoryFact]:
    household = data.get("household") or {}
    if not isinstance(household, Mapping):
        raise InvalidEvent(f"{kind}: household must be an object")
    return [_details("household", _required(data, "household_id", kind), household)]


def _case_opened(data: Mapping[str, Any], kind: str) -> list[DirectoryFact]:
    contact = data.get("contact_person")
    if not isinstance(contact, Mapping) or not contact.get("id"):
        raise InvalidEvent(f"{kind}: data lacks 'contact_person.id'")
    household_id = _required(data, "household_id", kind)
    facts: list[DirectoryFact] = [
        _details("caseworker", str(contact["id"]), contact),
        ContactPersonAssigned(household_id, str(contact["id"]), _required(data, "case_id", kind)),
    ]
    household = data.get("household")
    if isinstance(household, Mapping) and household.get("name"):
        # support passes the household's contact on, so it can hear who its contact person is
        facts.insert(0, _details("household", household_id, household))
    return facts


def _case_reassigned(data: Mapping[str, Any], kind: str) -> list[DirectoryFact]:
    if data.get("role") != "contact_person":
        return []
    facts: list[DirectoryFact] = [
        ContactPersonAssigned(
            _required(data, "household_id", kind), _required(data, "caseworker_id", kind),
            _required(data, "case_id", kind),
        )
    ]
    person = data.get("caseworker")
    if isinstance(person, Mapping):
        facts.insert(0, _details("caseworker", _required(data, "caseworker_id", kind), person))
    return facts


def _case_closed(data: Mapping[str, Any], kind: str) -> list[DirectoryFact]:
    return [ContactPersonReleased(_required(data, "household_id", kind), _required(data, "case_id", kind))]


#: Event type -> what it teaches the recipient directory (some of these events also have routes).
DIRECTORY_FACTS: dict[str, Callable[[Mapping[str, Any], str], list[DirectoryFact]]] = {
    "contracts.company.registered": _company_registered,
    "support.caseworker.registered": _caseworker_registered,
    "matching.tenancy.agreed": _tenancy_agreed,
    "support.case.opened": _case_opened,
    "support.case.reassigned": _case_reassigned,
    "support.case.closed": _case_closed,
}


#: Events the recipient directory learns from: the service consumes them even without a route.
DIRECTORY_EVENTS: frozenset[str] = frozenset(DIRECTORY_FACTS)


def directory_facts(event: Event) -> list[DirectoryFact]:
    """What the event tells the recipient directory (nothing for most event types)."""
    learn = DIRECTORY_FACTS.get(event.type)
    return learn(event.data, event.type) if learn else []
