"""Handlers of the events matching consumes. Each runs inside the consumer's unit of work, whose
transaction also records the inbox entry: a redelivered event has no second effect."""

from __future__ import annotations

from servicekit.bus import Event
from servicekit.db import UnitOfWork

from matching import erasure
from matching.models import Household, RegisteredCompany


def contract_terminated(uow: UnitOfWork, event: Event) -> None:
    """The household's tenancy in the program ended early: it leaves the program's books here too."""
    _leave_program(uow, str(event.data["household_id"]), event.data.get("reason"))


def contract_expired(uow: UnitOfWork, event: Event) -> None:
    """The guarantee's five-year term ended: the program is done with the household, and from now
    on its retention period (RETENTION_LEFT_PROGRAM_DAYS) runs."""
    _leave_program(uow, str(event.data["household_id"]), "term_ended")


def _leave_program(uow: UnitOfWork, household_id: str, reason: str | None) -> None:
    household = uow.session.get(Household, household_id)
    if household is None or household.status == "left_program":
        return
    previous = household.status
    household.status = "left_program"
    household.status_changed_at = uow.now()
    # Why a tenancy ended (e.g. an eviction) is social data: not kept once the household is erased.
    detail = None if household.erased_at else {"reason": reason}
    uow.audit("household", household.id, "left_program", from_state=previous, to_state="left_program", detail=detail)


def household_erased(uow: UnitOfWork, event: Event) -> None:
    """Another service's answer to an erasure request (erased, or postponed by a legal hold)."""
    erasure.record_answer(uow.session, event.type.split(".", 1)[0], event.data, uow.now())


def company_registered(uow: UnitOfWork, event: Event) -> None:
    """Contracts registered (or changed) a housing company: from now on it may offer flats (a
    redelivery, or a company carried over by the migration, changes nothing)."""
    company_id = str(event.data["company_id"]).lower()
    if uow.session.get(RegisteredCompany, company_id) is None:
        uow.session.add(RegisteredCompany(company_id=company_id, registered_at=uow.now()))
