"""A proposed (flat, household) pair, its two answers and the signed lease.

    open ──both accepted──▶ accepted ──lease recorded──▶ leased
      └──────────┴──declined, expired, withdrawn──▶ (final)
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from servicekit.errors import RuleViolation, StateConflict

from matching.domain.deadlines import is_overdue
from matching.domain.lifecycle import Lifecycle, new_id


class ProposalState(enum.StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"
    LEASED = "leased"


class Party(enum.StrEnum):
    COMPANY = "company"
    HOUSEHOLD = "household"


class Answer(enum.StrEnum):
    ACCEPTED = "accepted"
    DECLINED = "declined"


_ENDINGS = frozenset({ProposalState.DECLINED, ProposalState.EXPIRED, ProposalState.WITHDRAWN})
TRANSITIONS = {
    ProposalState.OPEN: frozenset({ProposalState.OPEN, ProposalState.ACCEPTED}) | _ENDINGS,
    ProposalState.ACCEPTED: frozenset({ProposalState.LEASED}) | _ENDINGS,
    **{state: frozenset() for state in (*_ENDINGS, ProposalState.LEASED)},
}
OPEN = frozenset({ProposalState.OPEN, ProposalState.ACCEPTED})  # still hold their flat and household
DECIDED = frozenset(ProposalState) - OPEN


def rule_results(results) -> list[dict[str, Any]]:
    return [{"rule": r.rule, "passed": r.passed, "reason": r.reason} for r in results]


def flat_address(flat) -> dict[str, Any]:
    return {"street": flat.street, "postal_code": flat.postal_code, "city": flat.city, "district": flat.district}


class ProposalRules(Lifecycle):
    ENTITY = "proposal"
    TRANSITIONS = TRANSITIONS

    @staticmethod
    def check_rules(results) -> None:
        """A pair is proposed only if it passes every rule (`results`: each rule's verdict)."""
        failed = [r for r in results if not r.passed]
        if failed:
            raise RuleViolation("proposal.rule_failed", "; ".join(r.reason for r in failed), field=failed[0].rule)

    @classmethod
    def make(cls, flat, household, *, run_id: str | None, results, breakdown, snapshot: dict[str, Any],
             respond_by: date, now: datetime):
        """Propose `flat` to `household` (a pair `check_rules` passed)."""
        proposal = cls(id=new_id(), run_id=run_id, flat_id=flat.id, household_id=household.id,
                       company_id=flat.company_id, status=ProposalState.OPEN.value, score=breakdown.total,
                       score_breakdown=breakdown.as_dict(), rules_passed=rule_results(results), snapshot=snapshot,
                       respond_by=respond_by, created_at=now)
        proposal.record("matching.proposal.created", {
            "proposal_id": proposal.id, "flat_id": flat.id, "household_id": household.id,
            "company_id": flat.company_id, "respond_by": respond_by.isoformat(), "district": flat.district,
            "rooms": flat.rooms,
            # how people name the flat and the household in messages (the company's own flat reference)
            "unit_ref": flat.unit_ref, "address": flat_address(flat), "household_reference": household.referral_no,
        })
        return proposal

    def close(self, new: ProposalState, at: datetime) -> str:
        old = self.move_to(new)
        self.decided_at = at
        return old

    def ensure_answerable(self, now: datetime) -> None:
        if self.status not in OPEN:
            raise StateConflict("proposal.closed", f"The proposal is {self.status}.")
        if is_overdue(self.respond_by, now):
            raise StateConflict("proposal.expired",
                                f"The proposal expired: the answer was due by {self.respond_by.isoformat()}.")

    def accept(self, party: Party, now: datetime) -> bool:
        """One party's yes; True once both said yes (the proposal is then accepted)."""
        self.ensure_answerable(now)
        column = f"{party}_answer"
        if getattr(self, column) == Answer.ACCEPTED:
            raise StateConflict("proposal.already_accepted", f"The {party} already accepted.")
        setattr(self, column, Answer.ACCEPTED.value)
        both = self.company_answer == Answer.ACCEPTED and self.household_answer == Answer.ACCEPTED
        if both:
            self.close(ProposalState.ACCEPTED, now)
        self.record("matching.proposal.accepted", {**self._answer(party, None), "both_accepted": both})
        return both

    def decline(self, party: Party, reason: str, text: str | None, now: datetime) -> str:
        self.ensure_answerable(now)
        setattr(self, f"{party}_answer", Answer.DECLINED.value)
        self.decline_party, self.decline_reason, self.decline_text = str(party), reason, text
        old = self.close(ProposalState.DECLINED, now)
        self.record("matching.proposal.declined", self._answer(party, reason))
        return old

    def expire(self, now: datetime) -> str:
        old = self.close(ProposalState.EXPIRED, now)
        self.record("matching.proposal.expired", self._answer(None, "deadline_passed"))
        return old

    def ensure_accepted_by_both(self) -> None:
        if self.status != ProposalState.ACCEPTED:
            raise StateConflict("proposal.not_accepted",
                                f"A lease needs a proposal accepted by both; this one is {self.status}.")

    def sign_lease(self, lease: dict[str, Any], at: datetime) -> str:
        self.ensure_accepted_by_both()
        self.lease = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in lease.items()}
        return self.close(ProposalState.LEASED, at)

    def _answer(self, party: Party | None, reason: str | None) -> dict[str, Any]:
        return {"proposal_id": self.id, "party": None if party is None else str(party), "reason": reason,
                "flat_id": self.flat_id, "household_id": self.household_id, "company_id": self.company_id}
