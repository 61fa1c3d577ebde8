"""The recipient directory: what events tell it (names, addresses, a household's contact person),
whom it names in messages, and where the shared mailboxes' email goes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable, Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from servicekit.db import UnitOfWork
from servicekit.db.memo import per_transaction
from servicekit.errors import UnknownObject

from notifications import runtime as rt
from notifications.domain.addresses import parse_email_address
from notifications.domain.catalogue import MAILBOXES
from notifications.domain.recipients import (
    ContactDetails,
    ContactPersonAssigned,
    ContactPersonReleased,
    DirectoryFact,
    RecipientRef,
)
from notifications.models import ContactPerson, DirectoryEntry


_KNOWN = "notifications.directory_entries"


def _known(session: Session) -> dict[str, DirectoryEntry | None]:
    """ref -> the directory entry this transaction read or wrote, or None where it found none. A
    consumer batch handles up to a hundred events in one transaction, most of them naming the same
    company and caseworkers: each entry is read once per batch instead of once per event. Within
    the transaction only this module writes entries (and erasure, which `forget`s what it deletes),
    so what is kept stays what the database holds for this transaction; an entry another
    transaction commits meanwhile is read by the next batch, as if this one had run a moment
    earlier."""
    return per_transaction(session, _KNOWN, dict)


def forget(session: Session, ref: str) -> None:
    """The entry was deleted in this transaction (erasure)."""
    _known(session).pop(ref, None)


# --- what events tell the directory -------------------------------------------------------------


def _learn_contact_details(uow: UnitOfWork, fact: ContactDetails, now: datetime) -> None:
    ref, known = str(fact.ref), _known(uow.session)
    entry = known[ref] if ref in known else uow.session.get(DirectoryEntry, ref)
    if entry is None:
        entry = DirectoryEntry(ref=ref, kind=fact.kind, updated_at=now)
        uow.session.add(entry)
    known[ref] = entry
    # An event without a detail does not erase what an earlier event told.
    entry.name = (fact.name or entry.name or "")[:200] or None
    entry.email = fact.email or entry.email
    entry.phone = (fact.phone or entry.phone or "")[:60] or None
    entry.updated_at = now


def _learn_assignment(uow: UnitOfWork, fact: ContactPersonAssigned, now: datetime) -> None:
    row = uow.session.get(ContactPerson, fact.household_id)
    if row is None:
        uow.session.add(ContactPerson(household_id=fact.household_id, caseworker_id=fact.caseworker_id,
                                      case_id=fact.case_id, assigned_at=now))
    else:
        row.caseworker_id, row.case_id, row.assigned_at = fact.caseworker_id, fact.case_id, now


def _learn_release(uow: UnitOfWork, fact: ContactPersonReleased, now: datetime) -> None:
    row = uow.session.get(ContactPerson, fact.household_id)
    if row is not None and row.case_id == fact.case_id:
        uow.session.delete(row)


#: Kind of fact -> how the directory takes it in.
_LEARN: dict[type, Callable[[UnitOfWork, Any, datetime], None]] = {
    ContactDetails: _learn_contact_details,
    ContactPersonAssigned: _learn_assignment,
    ContactPersonReleased: _learn_release,
}


def learn(uow: UnitOfWork, facts: Iterable[DirectoryFact], now: datetime) -> None:
    """Store what an event told the directory, fact by fact, each flushed before the next."""
    for fact in facts:
        _LEARN[type(fact)](uow, fact, now)
        uow.session.flush()


# --- whom the directory names -------------------------------------------------------------------


def entries(uow: UnitOfWork, refs: set[str]) -> dict[str, DirectoryEntry]:
    """The directory entries of an event's recipients and of the names its messages show: those
    this transaction has not read yet in one query (looked up one by one, that was a statement per
    recipient and name; once per event, a statement per event)."""
    known = _known(uow.session)
    missing = sorted(refs - known.keys())
    if missing:
        found = {e.ref: e for e in uow.session.scalars(select(DirectoryEntry).where(DirectoryEntry.ref.in_(missing)))}
        known.update({ref: found.get(ref) for ref in missing})
    return {ref: entry for ref in refs if (entry := known[ref]) is not None}


def contact(found: dict[str, DirectoryEntry], ref: RecipientRef) -> tuple[str | None, str | None]:
    """(name for the greeting, email address) of a recipient."""
    entry = found.get(str(ref))
    if ref.kind == "mailbox":
        _, email = rt.mailbox(ref.id)
        return None, (entry.email if entry and entry.email else email)  # greeted without a name
    return (entry.name, entry.email) if entry else (None, None)


#: Where the directory names the ids an event carries (see `planning.REFERENCE_FIELDS`).
_NAMED_BY = {"household_name": ("household", ("household_id",)),
             "company_name": ("company", ("company_id",)),
             "caseworker_name": ("caseworker", ("contact_person_id", "caseworker_id"))}


def named_refs(data: Mapping[str, Any], wanted: frozenset[str]) -> dict[str, str]:
    """reference field -> directory ref whose name it shows, for the ids this event carries."""
    refs = {}
    for field in wanted & _NAMED_BY.keys():
        kind, keys = _NAMED_BY[field]
        ident = next((data[k] for k in keys if data.get(k)), None)
        if ident:
            refs[field] = f"{kind}:{ident}"
    return refs


def references(data: Mapping[str, Any], named: dict[str, str], found: dict[str, DirectoryEntry],
               wanted: frozenset[str], case_of_household: str | None) -> dict[str, str]:
    """What the directory adds so that messages name what people know (a route shows only what its
    whitelist lists): names for the ids in the event, and the household's case for the contact
    person's link."""
    added = {field: found[ref].name for field, ref in named.items() if ref in found and found[ref].name}
    if "case_id" in wanted and case_of_household and not data.get("case_id"):
        added["case_id"] = case_of_household
    return added


# --- shared mailboxes ---------------------------------------------------------------------------


def _known_mailbox(role: str) -> str:
    if role not in MAILBOXES:
        raise UnknownObject("mailbox.unknown", "No such mailbox.")
    return role


def mailbox(uow: UnitOfWork, role: str) -> dict[str, str | None]:
    """A shared mailbox and where its email goes: the directory's address, else the configured one."""
    entry = uow.session.get(DirectoryEntry, f"mailbox:{role}")
    name, email = rt.mailbox(role)
    if entry is not None:
        name, email = entry.name or name, entry.email or email
    return {"role": role, "name": name, "email": email}


def change_mailbox(uow: UnitOfWork, role: str, email: str, name: str | None) -> None:
    """Send a shared mailbox's email to another address (and call it by another name)."""
    ref = f"mailbox:{_known_mailbox(role)}"
    entry = uow.session.get(DirectoryEntry, ref)
    if entry is None:
        entry = DirectoryEntry(ref=ref, kind="mailbox", updated_at=uow.now())
        uow.session.add(entry)
    _known(uow.session)[ref] = entry
    entry.email = parse_email_address(email)
    entry.name = name or entry.name
    entry.updated_at = uow.now()
    uow.audit("mailbox", role, "changed")
