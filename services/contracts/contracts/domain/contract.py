"""The guarantee contract (Garantievertrag) aggregate.

    draft ──both parties signed──▶ active ──term over──▶ expired
      │                              │
      └────────── terminate ─────────┴──▶ terminated (reason, effective date)

Expiry notices (90 and 30 days before the end) are flags on an active contract, not states.

The contract is the consistency boundary for its claims: the cap, the term and the no-overlap rule
are checked here against all claims of the contract, and the repository locks the contract row
while a claim is filed or decided so that two concurrent requests see each other's claims.

Methods append `DomainEvent`s to `events`; the service layer writes them to the outbox.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from servicekit.clock import BERLIN, berlin_date

from .claims import BLOCKS_PERIOD, Claim, ClaimStatus, Decision
from .coverage import Cap, Coverage, LossKind
from .errors import RuleViolation, StateConflict
from .events import DomainEvent
from .evidence import EvidenceInfo, check_evidence
from .months import MonthPeriod
from .term import Term


class ContractState(enum.StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    EXPIRED = "expired"
    TERMINATED = "terminated"


class Party(enum.StrEnum):
    CITY = "city"
    COMPANY = "company"


class TerminationReason(enum.StrEnum):
    MOVE_OUT = "move_out"  # the household moved out
    NOTICE = "notice"  # the lease was given notice
    EVICTION = "eviction"  # the lease ended by eviction
    OTHER = "other"  # anything else; the note says what


ENDED = frozenset({ContractState.EXPIRED, ContractState.TERMINATED})


@dataclass
class Signature:
    by: str
    at: datetime


@dataclass
class GuaranteeContract:
    id: str
    contract_no: str
    company_id: str
    household_id: str
    proposal_id: str  # the matching proposal the lease came from: the key every service stores
    term: Term
    coverage: Coverage
    monthly_covered_rent_cents: int  # cold rent + service charges: the most one month of arrears can be
    state: ContractState = ContractState.DRAFT
    city_signature: Signature | None = None
    company_signature: Signature | None = None
    activated_at: datetime | None = None
    notices_sent: set[int] = field(default_factory=set)
    ended_on: date | None = None  # last covered day once expired or terminated
    ended_at: datetime | None = None
    termination_reason: TerminationReason | None = None
    termination_note: str | None = None
    claims: list[Claim] = field(default_factory=list)
    # The referral number the social office gave the household: what people quote in messages.
    household_reference: str | None = None
    events: list[DomainEvent] = field(default_factory=list, repr=False, compare=False)

    # ----------------------------------------------------------------- creation

    @classmethod
    def create(
        cls,
        *,
        id: str,
        contract_no: str,
        company_id: str,
        household_id: str,
        proposal_id: str,
        lease_start: date,
        coverage: Coverage,
        monthly_covered_rent_cents: int,
        term_years: int,
        household_reference: str | None = None,
    ) -> GuaranteeContract:
        if monthly_covered_rent_cents < 0:
            raise RuleViolation("contract.rent_negative", "rent must not be negative", "cold_rent_cents")
        contract = cls(
            id=id,
            contract_no=contract_no,
            company_id=company_id,
            household_id=household_id,
            proposal_id=proposal_id,
            term=Term.from_lease_start(lease_start, term_years),
            coverage=coverage,
            monthly_covered_rent_cents=monthly_covered_rent_cents,
            household_reference=household_reference,
        )
        contract._emit("contracts.contract.created")
        return contract

    # ----------------------------------------------------------------- signatures

    def signature(self, party: Party) -> Signature | None:
        return self.city_signature if party is Party.CITY else self.company_signature

    def sign(self, party: Party, *, by: str, at: datetime) -> None:
        if self.signature(party) is not None:
            raise StateConflict("contract.already_signed", f"the {party} side has already signed this contract")
        if self.state is not ContractState.DRAFT:
            raise StateConflict("contract.not_draft", f"contract is {self.state}; only a draft can be signed")
        signature = Signature(by=by, at=at)
        if party is Party.CITY:
            self.city_signature = signature
        else:
            self.company_signature = signature
        if self.city_signature and self.company_signature:
            self.state = ContractState.ACTIVE
            self.activated_at = at
            self._emit("contracts.contract.activated")

    # ----------------------------------------------------------------- end of term

    @property
    def covered_until(self) -> date:
        """Last day of cover: the term end, or the effective date of an early termination."""
        return self.ended_on or self.term.end

    def days_left(self, today: date) -> int:
        return self.term.days_left(today)

    def send_expiry_notice(self, days_before: int, *, today: date, thresholds: tuple[int, ...]) -> None:
        """Record the notice for `days_before`; larger thresholds not yet sent are dropped with it.

        A job that was down for a while must not send a "90 days left" notice with 20 days left:
        only the nearest due notice goes out, the ones it overtook are marked as done.
        """
        if self.state is not ContractState.ACTIVE:
            raise StateConflict("contract.not_active", f"contract is {self.state}")
        if days_before in self.notices_sent:
            raise StateConflict("contract.notice_already_sent", f"the {days_before}-day notice was already sent")
        self.notices_sent |= {t for t in thresholds if t >= days_before}
        self._emit("contracts.contract.expiring", days_left=self.days_left(today))

    def expire(self, *, today: date, at: datetime) -> None:
        if self.state is not ContractState.ACTIVE:
            raise StateConflict("contract.not_active", f"contract is {self.state}")
        if today <= self.term.end:
            raise StateConflict("contract.term_not_over", f"the term runs until {self.term.end.isoformat()}")
        self.state = ContractState.EXPIRED
        self.ended_on = self.term.end
        self.ended_at = at
        self._emit("contracts.contract.expired", reason="term_ended")

    def terminate(
        self, reason: TerminationReason, *, effective_on: date, at: datetime, note: str | None = None
    ) -> None:
        if self.state in ENDED:
            raise StateConflict("contract.already_ended", f"contract is already {self.state}")
        if not self.term.contains(effective_on):
            raise RuleViolation(
                "contract.effective_date_outside_term",
                f"effective date must lie in the term {self.term.start.isoformat()}..{self.term.end.isoformat()}",
                "effective_on",
            )
        # A claim must never cover time outside the cover: an early end may not cut off months that
        # live arrears claims already cover (reject or withdraw those first).
        covered_later = [
            c for c in self.claims
            if c.status in BLOCKS_PERIOD and c.period is not None and c.period.last.first_day > effective_on
        ]
        if covered_later:
            raise RuleViolation(
                "contract.claims_after_effective_date",
                f"claim {covered_later[0].id} covers {covered_later[0].period}, after {effective_on.isoformat()}",
                "effective_on",
            )
        note = (note or "").strip() or None
        if reason is TerminationReason.OTHER and note is None:
            raise RuleViolation("contract.note_required", "reason 'other' needs a note", "note")
        self.state = ContractState.TERMINATED
        self.ended_on = effective_on
        self.ended_at = at
        self.termination_reason = reason
        self.termination_note = note
        self._emit("contracts.contract.terminated", reason=reason.value, effective_on=effective_on.isoformat())

    # ----------------------------------------------------------------- claims

    def claim(self, claim_id: str) -> Claim:
        for claim in self.claims:
            if claim.id == claim_id:
                return claim
        raise KeyError(claim_id)

    def committed_cents(self, cap: Cap, *, excluding: str | None = None) -> int:
        return sum(c.committed_cents for c in self.claims if c.kind in cap.kinds and c.id != excluding)

    def paid_cents(self, cap: Cap) -> int:
        return sum(c.paid_cents for c in self.claims if c.kind in cap.kinds)

    def remaining_cents(self, cap: Cap) -> int:
        return cap.cap_cents - self.committed_cents(cap)

    def remaining_by_cap(self) -> dict[str, int]:
        return {cap.name: self.remaining_cents(cap) for cap in self.coverage.caps}

    def exposure_cents(self) -> int:
        """Guarantee exposure: the sum of the remaining caps (what new claims could still take)."""
        return sum(self.remaining_by_cap().values())

    def accepts_claims_on(self, today: date, grace_days: int) -> bool:
        if self.state is ContractState.ACTIVE:
            return True
        if self.state in ENDED:
            return today <= self.covered_until + timedelta(days=grace_days)
        return False

    def file_claim(
        self,
        *,
        claim_id: str,
        kind: LossKind,
        amount_cents: int,
        period: MonthPeriod | None,
        description: str,
        evidence: Sequence[EvidenceInfo],
        at: datetime,
        grace_days: int,
    ) -> Claim:
        today = berlin_date(at)
        self._check_accepts_claims(today, grace_days)
        self._check_claim(kind=kind, amount_cents=amount_cents, period=period, today=today, excluding=None)
        check_evidence(kind, evidence)
        claim = Claim(
            id=claim_id,
            contract_id=self.id,
            kind=kind,
            amount_cents=amount_cents,
            period=period,
            description=description.strip(),
            submitted_at=at,
            first_submitted_at=at,
            evidence=list(evidence),
        )
        self.claims.append(claim)
        self._emit_claim("contracts.claim.submitted", claim, resubmission=False)
        return claim

    def resubmit_claim(
        self,
        claim_id: str,
        *,
        amount_cents: int | None,
        description: str | None,
        at: datetime,
        grace_days: int,
        evidence: Sequence[EvidenceInfo] = (),
    ) -> Claim:
        """Answer a claim finance returned: new description, more documents and, if given, a new amount."""
        claim = self.claim(claim_id)
        if claim.status is not ClaimStatus.RETURNED:
            raise StateConflict("claim.not_returned", f"claim is {claim.status}; only a returned claim can be resubmitted")
        today = berlin_date(at)
        self._check_accepts_claims(today, grace_days)
        amount = claim.amount_cents if amount_cents is None else amount_cents
        self._check_claim(kind=claim.kind, amount_cents=amount, period=claim.period, today=today, excluding=claim.id)
        check_evidence(claim.kind, [*claim.evidence, *evidence])
        claim.amount_cents = amount
        claim.evidence.extend(evidence)
        if description is not None:
            claim.description = description.strip()
        claim.status = ClaimStatus.SUBMITTED
        # consumers that act once per claim (support's crisis appointment) can skip resubmissions
        self._emit_claim("contracts.claim.submitted", claim, resubmission=True)
        return claim

    def decide_claim(
        self,
        claim_id: str,
        decision: Decision,
        *,
        by: str,
        at: datetime,
        approved_cents: int | None = None,
        reason: str | None = None,
    ) -> Claim:
        claim = self.claim(claim_id)
        claim.decide(decision, by=by, at=at, approved_cents=approved_cents, reason=reason)
        # Holds by construction (approved <= claimed, claimed was within the cap); kept as a guard
        # because a breach here would mean paying out public money beyond the contract.
        cap = self.coverage.cap_for(claim.kind)
        assert cap is not None and self.committed_cents(cap) <= cap.cap_cents
        self._emit_claim("contracts.claim.decided", claim, approved_cents=claim.approved_cents,
                         status=claim.status.value, reason=claim.decision_reason)
        return claim

    def withdraw_claim(self, claim_id: str) -> Claim:
        claim = self.claim(claim_id)
        claim.withdraw()
        return claim

    def record_payout(self, claim_id: str, *, by: str, at: datetime, reference: str) -> Claim:
        claim = self.claim(claim_id)
        claim.record_payout(by=by, at=at, reference=reference)
        self._emit_claim("contracts.claim.paid", claim, approved_cents=claim.approved_cents,
                         status=claim.status.value, payout_reference=claim.payout_reference)
        return claim

    # ----------------------------------------------------------------- rules

    def _check_accepts_claims(self, today: date, grace_days: int) -> None:
        if self.state is ContractState.DRAFT:
            raise StateConflict("contract.not_active", "the contract is a draft: claims need an active contract")
        if not self.accepts_claims_on(today, grace_days):
            raise StateConflict(
                "contract.grace_period_over",
                f"the contract ended on {self.covered_until.isoformat()}; claims were accepted "
                f"until {(self.covered_until + timedelta(days=grace_days)).isoformat()}",
            )

    def _check_claim(
        self, *, kind: LossKind, amount_cents: int, period: MonthPeriod | None, today: date, excluding: str | None
    ) -> None:
        cap = self.coverage.cap_for(kind)
        if cap is None:
            raise RuleViolation("claim.kind_not_covered", f"this contract does not cover {kind}", "kind")
        if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents <= 0:
            raise RuleViolation("claim.amount_not_positive", "amount_cents must be a positive integer", "amount_cents")
        if kind is LossKind.RENT_ARREARS:
            if period is None:
                raise RuleViolation("claim.period_required", "a rent arrears claim needs a period", "period")
            self._check_period(period, today, excluding)
            most = period.months * self.monthly_covered_rent_cents
            if amount_cents > most:
                raise RuleViolation(
                    "claim.amount_exceeds_rent",
                    f"{period.months} month(s) of cold rent and service charges come to at most {most} cents",
                    "amount_cents",
                )
        elif period is not None:
            raise RuleViolation("claim.period_not_allowed", f"a period is only given for rent arrears, not {kind}", "period")
        remaining = cap.cap_cents - self.committed_cents(cap, excluding=excluding)
        if amount_cents > remaining:
            raise RuleViolation(
                "claim.cap_exceeded",
                f"amount {amount_cents} exceeds the remaining cap '{cap.name}' of {max(remaining, 0)} cents",
                "amount_cents",
            )

    def _check_period(self, period: MonthPeriod, today: date, excluding: str | None) -> None:
        # A month counts as inside the term if any of its days is covered: a lease starting on the
        # 15th still owes rent for that month.
        start, end = self.term.start, self.covered_until
        if period.first.last_day < start or period.last.first_day > end:
            raise RuleViolation(
                "claim.period_outside_term",
                f"period {period} lies outside the covered term {start.isoformat()}..{end.isoformat()}",
                "period",
            )
        if period.last.first_day > today:
            raise RuleViolation("claim.period_in_future", f"month {period.last} has not begun", "period")
        for other in self.claims:
            if (
                other.id != excluding
                and other.kind is LossKind.RENT_ARREARS
                and other.status in BLOCKS_PERIOD
                and other.period is not None
                and other.period.overlaps(period)
            ):
                raise RuleViolation(
                    "claim.period_overlap",
                    f"period {period} overlaps claim {other.id} ({other.period})",
                    "period",
                )

    # ----------------------------------------------------------------- events

    def references(self) -> dict[str, Any]:
        """What every event about this contract (or its claims and incidents) carries to name it."""
        return {
            "contract_id": self.id,
            "contract_no": self.contract_no,
            "proposal_id": self.proposal_id,
            "company_id": self.company_id,
            "household_id": self.household_id,
            "household_reference": self.household_reference,
        }

    def _emit(self, type_: str, **extra: Any) -> None:
        data = {**self.references(), "term_start": self.term.start.isoformat(), "term_end": self.term.end.isoformat()}
        self.events.append(DomainEvent(type_, {**data, **extra}))

    def _emit_claim(self, type_: str, claim: Claim, **extra: Any) -> None:
        data = {
            "claim_id": claim.id,
            **self.references(),
            "kind": claim.kind.value,
            "amount_cents": claim.amount_cents,
            "period": None if claim.period is None else {"first": str(claim.period.first), "last": str(claim.period.last)},
            # the day it was first filed, which a resubmission keeps: how people tell claims apart
            "submitted_on": berlin_date(claim.first_submitted_at or claim.submitted_at).isoformat(),
        }
        self.events.append(DomainEvent(type_, {**data, **extra}))


__all__ = [
    "BERLIN",
    "ContractState",
    "GuaranteeContract",
    "Party",
    "Signature",
    "TerminationReason",
    "berlin_date",
]
