"""Handlers of the events matching consumes, one small function per event type; `service.py`
dispatches by type from its table. Each runs inside the consumer's unit of work, whose transaction
also records the inbox entry: a redelivered event has no second effect. They translate the event
into a use case and decide nothing themselves."""

from __future__ import annotations

from servicekit.bus import Event
from servicekit.db import UnitOfWork

from matching import erasure
from matching.models import RegisteredCompany
from matching.usecases import households


def contract_terminated(uow: UnitOfWork, event: Event) -> None:
    """The household's tenancy in the program ended early: it leaves the program's books here too."""
    households.leave_program(uow, str(event.data["household_id"]), event.data.get("reason"))


def contract_expired(uow: UnitOfWork, event: Event) -> None:
    """The guarantee's five-year term ended: the program is done with the household, and from now
    on its retention period (RETENTION_LEFT_PROGRAM_DAYS) runs."""
    households.leave_program(uow, str(event.data["household_id"]), "term_ended")


def household_erased(uow: UnitOfWork, event: Event) -> None:
    """Another service's answer to an erasure request (erased, or postponed by a legal hold)."""
    erasure.record_answer(uow.session, event.type.split(".", 1)[0], event.data, uow.now())


def company_registered(uow: UnitOfWork, event: Event) -> None:
    """Contracts registered (or changed) a housing company: from now on it may offer flats (a
    redelivery, or a company carried over by the migration, changes nothing)."""
    company_id = str(event.data["company_id"]).lower()
    if uow.session.get(RegisteredCompany, company_id) is None:
        uow.session.add(RegisteredCompany(company_id=company_id, registered_at=uow.now()))


# The events matching consumes, one small function each (servicekit.Service.handlers).
HANDLERS = {
    "contracts.company.registered": company_registered,
    # contracts announces a company again when an admin changes it: a company registered before
    # matching listened (no flat yet, so migration 0005 did not carry it over) becomes known then
    "contracts.company.updated": company_registered,
    "contracts.contract.terminated": contract_terminated,
    "contracts.contract.expired": contract_expired,
    "contracts.household.erased": household_erased,
    "support.household.erased": household_erased,
    "notifications.household.erased": household_erased,
}
