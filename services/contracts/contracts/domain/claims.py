"""Claims (Inanspruchnahme): one claim's life cycle.

    submitted ──approve──────────▶ approved ─────────┐
        │  ├──approve in part───▶ partially_approved ┴─payout─▶ paid
        │  ├──reject────────────▶ rejected
        │  └──return for info───▶ returned ──resubmit──▶ submitted
        └─(submitted or returned)──withdraw──▶ withdrawn

Cap accounting (the documented choice): a claim *commits* money against its cap from the moment it
is filed. Open claims (submitted, returned) commit their full `amount_cents`; decided claims commit
their `approved_cents` (a partial approval releases the rest); rejected and withdrawn claims
commit nothing. A claim is filed only if it fits into cap − committed, so every open claim can
always be approved in full, and no decision can push a cap over its limit. Companies get the
answer "over the cap" when they file, not weeks later at the decision.

Rules that involve the contract or other claims (term, overlap, cap) live on the contract
aggregate (`contract.py`); this module only knows one claim's transitions.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from .coverage import LossKind
from .errors import RuleViolation, StateConflict
from .evidence import EvidenceInfo
from .months import MonthPeriod


class ClaimStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    RETURNED = "returned"
    APPROVED = "approved"
    PARTIALLY_APPROVED = "partially_approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    PAID = "paid"


OPEN = frozenset({ClaimStatus.SUBMITTED, ClaimStatus.RETURNED})
DECIDED_FOR_PAYOUT = frozenset({ClaimStatus.APPROVED, ClaimStatus.PARTIALLY_APPROVED})
# Claims not yet settled (open, or approved but not paid): a legal hold on erasing the household,
# whose data the claim's decision, payout or dispute may still need.
LEGAL_HOLD = OPEN | DECIDED_FOR_PAYOUT
# Claims whose period still counts as covered: everything except the dead ends.
BLOCKS_PERIOD = frozenset(set(ClaimStatus) - {ClaimStatus.REJECTED, ClaimStatus.WITHDRAWN})


class Decision(enum.StrEnum):
    APPROVE = "approve"  # approved_cents defaults to the full amount; less needs a reason
    REJECT = "reject"
    RETURN = "return"  # back to the company, asking for more information


@dataclass
class Claim:
    id: str
    contract_id: str
    kind: LossKind
    amount_cents: int
    period: MonthPeriod | None
    description: str
    submitted_at: datetime
    status: ClaimStatus = ClaimStatus.SUBMITTED
    approved_cents: int | None = None
    decision_reason: str | None = None
    decided_at: datetime | None = None
    decided_by: str | None = None
    paid_at: datetime | None = None
    paid_by: str | None = None
    payout_reference: str | None = None
    first_submitted_at: datetime | None = None  # filing date; `submitted_at` moves on resubmission
    evidence: list[EvidenceInfo] = field(default_factory=list)

    @property
    def committed_cents(self) -> int:
        """Money this claim holds against its cap (see module docstring)."""
        if self.status in OPEN:
            return self.amount_cents
        if self.status in DECIDED_FOR_PAYOUT or self.status is ClaimStatus.PAID:
            return self.approved_cents or 0
        return 0

    @property
    def paid_cents(self) -> int:
        return (self.approved_cents or 0) if self.status is ClaimStatus.PAID else 0

    def decide(
        self,
        decision: Decision,
        *,
        by: str,
        at: datetime,
        approved_cents: int | None = None,
        reason: str | None = None,
    ) -> None:
        if self.status is not ClaimStatus.SUBMITTED:
            raise StateConflict(
                "claim.not_open_for_decision",
                f"claim is {self.status}; only a submitted claim can be decided",
            )
        reason = (reason or "").strip() or None
        if decision is Decision.APPROVE:
            amount = self.amount_cents if approved_cents is None else approved_cents
            if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
                raise RuleViolation(
                    "claim.approved_not_positive", "approved_cents must be a positive integer", "approved_cents"
                )
            if amount > self.amount_cents:
                raise RuleViolation(
                    "claim.approved_exceeds_claimed",
                    f"approved_cents {amount} exceeds the claimed {self.amount_cents}",
                    "approved_cents",
                )
            if amount < self.amount_cents and reason is None:
                raise RuleViolation(
                    "claim.reason_required", "a partial approval needs a reason", "reason"
                )
            self.status = ClaimStatus.APPROVED if amount == self.amount_cents else ClaimStatus.PARTIALLY_APPROVED
            self.approved_cents = amount
        else:
            if approved_cents is not None:
                raise RuleViolation(
                    "claim.approved_not_allowed",
                    "approved_cents is only allowed with decision 'approve'",
                    "approved_cents",
                )
            if reason is None:
                raise RuleViolation("claim.reason_required", f"decision '{decision}' needs a reason", "reason")
            self.status = ClaimStatus.REJECTED if decision is Decision.REJECT else ClaimStatus.RETURNED
            self.approved_cents = 0 if decision is Decision.REJECT else None
        self.decision_reason = reason
        self.decided_at = at
        self.decided_by = by

    def withdraw(self) -> None:
        if self.status not in OPEN:
            raise StateConflict("claim.not_open", f"claim is {self.status}; only an open claim can be withdrawn")
        self.status = ClaimStatus.WITHDRAWN

    def record_payout(self, *, by: str, at: datetime, reference: str) -> None:
        if self.status is ClaimStatus.PAID:
            raise StateConflict("claim.already_paid", "the payout of this claim is already recorded")
        if self.status not in DECIDED_FOR_PAYOUT:
            raise StateConflict(
                "claim.not_approved", f"claim is {self.status}; only an approved claim can be paid"
            )
        if not reference.strip():
            raise RuleViolation("claim.reference_required", "a payout needs a reference", "reference")
        self.status = ClaimStatus.PAID
        self.paid_at = at
        self.paid_by = by
        self.payout_reference = reference.strip()
