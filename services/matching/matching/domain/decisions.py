"""What a decline leads to, and which leases the program accepts.

(The life cycles are the aggregates' own: `flat`, `household`, `proposal`, `run`.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from servicekit.errors import RuleViolation

from matching.domain.flat import FlatState
from matching.domain.household import HouseholdState
from matching.domain.policy import Policy


@dataclass(frozen=True)
class DeclineOutcome:
    flat_state: FlatState  # offered | withdrawn
    household_state: HouseholdState  # waiting | withdrawn
    needs_review: bool
    counted_declines: int


def decline_outcome(policy: Policy, party: str, reason_key: str, counted_declines_before: int) -> DeclineOutcome:
    """Effects of a decline by `party` ("company" or "household") for a configured reason."""
    reason = policy.find_decline_reason(party, reason_key)
    if reason is None:
        raise RuleViolation("proposal.unknown_decline_reason", f"unknown decline reason {reason_key!r} for the {party}",
                            field="reason")
    counted = counted_declines_before + (1 if reason.counts else 0)
    review = reason.household == "review" or (
        reason.counts and counted >= policy.household_declines_before_review
    )
    return DeclineOutcome(
        flat_state=FlatState.WITHDRAWN if reason.flat == "withdraw" else FlatState.OFFERED,
        household_state=HouseholdState.WITHDRAWN if reason.household == "withdraw" else HouseholdState.WAITING,
        needs_review=review,
        counted_declines=counted,
    )


@dataclass(frozen=True)
class LeaseTerms:
    unlimited: bool
    graduated_rent: bool
    index_linked_rent: bool
    cold_rent_cents: int
    service_charges_cents: int
    heating_cents: int


def lease_problems(terms: LeaseTerms, rent_limit_cents: int) -> dict[str, str]:
    """Field -> problem for a lease the programme cannot accept (empty when it is fine)."""
    problems: dict[str, str] = {}
    if not terms.unlimited:
        problems["unlimited"] = "the lease must be unlimited (unbefristet)"
    if terms.graduated_rent:
        problems["graduated_rent"] = "graduated rent (Staffelmiete) is not allowed"
    if terms.index_linked_rent:
        problems["index_linked_rent"] = "index-linked rent (Indexmiete) is not allowed"
    if terms.cold_rent_cents > rent_limit_cents:
        problems["cold_rent_cents"] = (
            f"cold rent {terms.cold_rent_cents / 100:.2f} EUR exceeds the household's limit of {rent_limit_cents / 100:.2f} EUR"
        )
    for name in ("cold_rent_cents", "service_charges_cents", "heating_cents"):
        if getattr(terms, name) < 0:
            problems[name] = "must not be negative"
    return problems


def lease_terms(data: dict) -> LeaseTerms:
    return LeaseTerms(**{name: data[name] for name in LeaseTerms.__dataclass_fields__})


def check_lease(terms: LeaseTerms, rent_limit_cents: int, lease_start: date, proposed_on: date) -> None:
    """Refuse a lease the program cannot accept (422, naming the first field and listing every problem)."""
    problems = lease_problems(terms, rent_limit_cents)
    if problems:
        field, detail = next(iter(problems.items()))
        raise RuleViolation("lease.not_acceptable", detail, field=field, problems=problems)
    if lease_start < proposed_on:
        raise RuleViolation("lease.starts_before_proposal", "the lease cannot start before the proposal was made",
                            field="lease_start")
