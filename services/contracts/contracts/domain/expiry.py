"""Which end-of-term actions are due for a contract at a given day.

The worker job asks `due_action` for every active contract with the Berlin date of its (injectable)
clock and carries out what comes back. Rules:

- notices go out when at most N days are left (N = 90 and 30 by default), once each;
- after a pause of the job only the nearest due notice is sent (`send_expiry_notice` marks the
  ones it overtook as done), so nobody gets "90 days left" with 20 days left;
- the contract expires on the first day after its last covered day, without a late notice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from .contract import ContractState, GuaranteeContract


@dataclass(frozen=True)
class SendNotice:
    days_before: int


@dataclass(frozen=True)
class Expire:
    pass


ExpiryAction = SendNotice | Expire


def due_action(contract: GuaranteeContract, today: date, thresholds: tuple[int, ...]) -> ExpiryAction | None:
    if contract.state is not ContractState.ACTIVE:
        return None
    days_left = contract.days_left(today)
    if days_left < 0:
        return Expire()
    due = [n for n in thresholds if days_left <= n and n not in contract.notices_sent]
    return SendNotice(min(due)) if due else None


def apply(
    contract: GuaranteeContract, action: ExpiryAction, *, today: date, at: datetime, thresholds: tuple[int, ...]
) -> None:
    if isinstance(action, Expire):
        contract.expire(today=today, at=at)
    else:
        contract.send_expiry_notice(action.days_before, today=today, thresholds=thresholds)
