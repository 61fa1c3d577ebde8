"""Use cases of tenancies: a lease arrives from matching, and its guarantee contract is drafted."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from servicekit.bus.payload import flattened, picked
from servicekit.clock import berlin_date
from servicekit.db import UnitOfWork

from contracts import config, domain, repository
from contracts.models import Contract, Tenancy, new_id

TENANCY_COLUMNS = tuple(c.key for c in Tenancy.__table__.columns if c.key not in ("id", "recorded_at"))


def record_tenancy(uow: UnitOfWork, data: dict[str, Any]) -> Contract | None:
    """A lease was signed (matching.tenancy.agreed): keep the tenancy and draft its guarantee.

    Returns None when this proposal's tenancy is already known (the event re-published under a new
    id); the inbox already catches redeliveries of the same event.
    """
    if uow.session.scalar(select(Tenancy.id).where(Tenancy.proposal_id == data["proposal_id"])):
        return None
    fields = picked(flattened(data, address="", household="household_"), TENANCY_COLUMNS)
    tenancy = Tenancy(id=new_id(), **{**fields, "heating_cents": fields.get("heating_cents") or 0},
                      recorded_at=uow.now())
    uow.session.add(tenancy)
    uow.session.flush()
    uow.audit("tenancy", tenancy.id, "recorded", to_state="recorded")
    return _draft_contract(uow, tenancy)


def _draft_contract(uow: UnitOfWork, tenancy: Tenancy) -> Contract:
    program = config.program_config()
    now = uow.now()
    contract = domain.GuaranteeContract.create(
        id=new_id(),
        contract_no=repository.next_contract_no(uow.session, berlin_date(now).year),
        company_id=tenancy.company_id,
        household_id=tenancy.household_id,
        proposal_id=tenancy.proposal_id,
        lease_start=tenancy.lease_start,
        coverage=program.coverage,
        monthly_covered_rent_cents=program.covered_rent_cents(tenancy),
        term_years=program.term_years,
        household_reference=tenancy.household_reference,
    )
    row = repository.new_contract_row(contract, tenancy, config_version=program.version, at=now)
    uow.session.add(row)
    uow.session.flush()
    uow.audit("contract", row.id, "created", to_state=row.state,
              detail={"contract_no": row.contract_no, "config_version": program.version})
    uow.publish_recorded(contract)
    return row
