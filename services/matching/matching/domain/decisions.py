"""What a decline leads to, and the states flats, households and proposals move through."""

from __future__ import annotations

from dataclasses import dataclass

from matching.domain.policy import Policy


class TransitionError(ValueError):
    """A state change that the life cycle does not allow (the API answers 409)."""


FLAT_TRANSITIONS = {
    "offered": {"reserved", "withdrawn"},
    "reserved": {"offered", "let", "withdrawn"},
    "let": set(),
    "withdrawn": set(),
}
HOUSEHOLD_TRANSITIONS = {
    "waiting": {"proposed", "withdrawn"},
    "proposed": {"waiting", "housed", "withdrawn"},
    "housed": {"waiting"},  # the tenancy ended (contracts.contract.terminated): back on the list
    "withdrawn": set(),
}
PROPOSAL_TRANSITIONS = {
    "open": {"open", "accepted", "declined", "expired", "withdrawn"},
    "accepted": {"leased", "declined", "expired", "withdrawn"},
    "declined": set(),
    "expired": set(),
    "withdrawn": set(),
    "leased": set(),
}


def check(transitions: dict[str, set[str]], current: str, new: str, what: str) -> None:
    if new not in transitions.get(current, set()):
        raise TransitionError(f"{what} cannot go from {current} to {new}")


@dataclass(frozen=True)
class DeclineOutcome:
    flat_state: str  # offered | withdrawn
    household_state: str  # waiting | withdrawn
    needs_review: bool
    counted_declines: int


def decline_outcome(policy: Policy, party: str, reason_key: str, counted_declines_before: int) -> DeclineOutcome:
    """Effects of a decline by `party` ("company" or "household") for a configured reason."""
    reason = policy.decline_reason(party, reason_key)
    counted = counted_declines_before + (1 if reason.counts else 0)
    review = reason.household == "review" or (
        reason.counts and counted >= policy.household_declines_before_review
    )
    return DeclineOutcome(
        flat_state="withdrawn" if reason.flat == "withdraw" else "offered",
        household_state="withdrawn" if reason.household == "withdraw" else "waiting",
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
