"""Housing companies: registering one (its id is the `company_id` its tokens carry) and changing
its contact data or quota; both announce the company to the services that address it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from servicekit.db import UnitOfWork
from servicekit.errors import NotFound, StateConflict

from contracts.models import Company


def register(uow: UnitOfWork, data: dict[str, Any]) -> Company:
    """A new company; `data["id"]` when the identity provider already issued one."""
    session = uow.session
    if session.scalar(select(Company.id).where(Company.name == data["name"])):
        raise StateConflict("company.name_taken", "A company with this name is already registered.")
    company_id = str(data.pop("id")) if data.get("id") else None
    if company_id and session.get(Company, company_id):
        raise StateConflict("company.id_taken", "A company with this id is already registered.")
    company = Company(**data, registered_at=uow.now())
    if company_id:
        company.id = company_id
    session.add(company)
    session.flush()
    uow.publish("contracts.company.registered", _announcement(company))
    uow.audit("company", company.id, "registered")
    return company


def update(uow: UnitOfWork, company_id: str, data: dict[str, Any]) -> Company:
    """Change what `data` names; the audit trail keeps each changed field's old and new value."""
    company = uow.session.get(Company, company_id)
    if company is None:
        raise NotFound("No company with this id.")
    changes = {k: [getattr(company, k), v] for k, v in data.items() if getattr(company, k) != v}
    for field, (_, new) in changes.items():
        setattr(company, field, new)
    if changes:
        uow.audit("company", company.id, "updated", detail={"changes": changes})
        uow.publish("contracts.company.updated", _announcement(company))
    return company


def _announcement(company: Company) -> dict[str, Any]:
    return {"company_id": company.id, "name": company.name, "email": company.email}
