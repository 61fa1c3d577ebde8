"""Use cases of the guarantee contract: look it up, sign it, end it early, and the end-of-term run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select, tuple_

from servicekit.db import UnitOfWork

from contracts import config, domain, queries, repository
from contracts.domain.expiry import apply as apply_expiry
from contracts.models import Claim, Contract

from .shared import today, visible


def get_contract(uow: UnitOfWork, contract_id: str, company_id: str | None) -> Contract:
    return visible(repository.get_contract_row(uow.session, contract_id), company_id, "contract")


def read_contract(uow: UnitOfWork, contract_id: str, company_id: str | None) -> Any:
    """The contract with what its claims commit per loss kind (`queries.with_committed`), in one
    query: the read API's path."""
    row = uow.session.execute(queries.with_committed(select(Contract).where(Contract.id == contract_id))).first()
    visible(row[0] if row else None, company_id, "contract")
    return row


def load_aggregate(
    uow: UnitOfWork, contract_id: str, company_id: str | None, *, lock: bool
) -> tuple[Contract, domain.GuaranteeContract, dict[str, Claim]]:
    row = visible(repository.get_contract_row(uow.session, contract_id, lock=lock), company_id, "contract")
    claims = repository.claim_rows(uow.session, row.id)
    return row, repository.to_domain(row, claims), {c.id: c for c in claims}


def save_contract(uow: UnitOfWork, row: Contract, contract: domain.GuaranteeContract, action: str,
                   from_state: str, detail: dict[str, Any] | None = None) -> None:
    repository.into_row(contract, row)
    row.updated_at = uow.now()
    uow.audit("contract", row.id, action, from_state=from_state, to_state=row.state, detail=detail)
    uow.publish_recorded(contract)


def sign(uow: UnitOfWork, contract_id: str, party: domain.Party, company_id: str | None) -> Contract:
    row, contract, _ = load_aggregate(uow, contract_id, company_id, lock=True)
    before = contract.state.value
    contract.sign(party, by=uow.actor, at=uow.now())
    save_contract(uow, row, contract, f"signed_by_{party.value}", before)
    return row


def terminate(uow: UnitOfWork, contract_id: str, reason: domain.TerminationReason, effective_on: date,
              note: str | None) -> Contract:
    row, contract, _ = load_aggregate(uow, contract_id, None, lock=True)
    before = contract.state.value
    contract.terminate(reason, effective_on=effective_on, at=uow.now(), note=note)
    save_contract(uow, row, contract, "terminated", before,
                   {"reason": reason.value, "effective_on": effective_on.isoformat()})
    return row


@dataclass(frozen=True)
class EndOfTermPage:
    actions: int
    last_key: tuple[date, str] | None  # where the next page starts; None when there is none


def run_end_of_term(uow: UnitOfWork, *, after: tuple[date, str] | None = None,
                    batch_size: int = 200) -> EndOfTermPage:
    """One page of the end-of-term run: send due expiry notices and expire contracts whose term is over.

    Only active contracts within reach of the largest notice threshold are looked at, page by page
    in (term_end, id) order, so contracts with nothing due never hide the ones behind them. Rows are
    locked with SKIP LOCKED, so several workers share the work without sending anything twice.
    """
    program = config.program_config()
    day = today(uow)
    horizon = day + timedelta(days=max(program.expiry_notice_days, default=0))
    stmt = (
        select(Contract)
        .where(Contract.state == domain.ContractState.ACTIVE.value, Contract.term_end <= horizon)
        .order_by(Contract.term_end, Contract.id)
        .limit(batch_size)
        .with_for_update(of=Contract, skip_locked=True)
    )
    if after is not None:
        stmt = stmt.where(tuple_(Contract.term_end, Contract.id) > tuple_(*after))
    rows = list(uow.session.scalars(stmt))
    done = 0
    for row in rows:
        contract = repository.to_domain(row)
        action = domain.due_action(contract, day, program.expiry_notice_days)
        if action is None:
            continue
        before = contract.state.value
        apply_expiry(contract, action, today=day, at=uow.now(), thresholds=program.expiry_notice_days)
        name = "expired" if isinstance(action, domain.Expire) else f"expiry_notice_{action.days_before}"
        save_contract(uow, row, contract, name, before)
        done += 1
    last = (rows[-1].term_end, rows[-1].id) if len(rows) == batch_size else None
    return EndOfTermPage(done, last)
