"""Use cases of the proposal: propose a pair (by hand or for a run), the two answers, the signed
lease, expiry; and the decline figures."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from servicekit.clock import BERLIN, berlin_date
from servicekit.db import UnitOfWork
from servicekit.errors import StateConflict

from matching import metrics
from matching.domain import decisions, rules, scoring
from matching.domain.deadlines import is_overdue, respond_by
from matching.domain.flat import FlatState
from matching.domain.household import HouseholdState
from matching.domain.lifecycle import values
from matching.domain.policy import Policy
from matching.domain.proposal import OPEN, Answer, Party, ProposalState, flat_address
from matching.domain.tables import FlatTable, HouseholdTable
from matching.models import Flat, Household, Proposal
from matching.usecases.common import (
    audit_move, filtered, flat_data, household_contact, household_limit, household_profile, to_domain_flat, to_domain_household,
)


def listing(filters: dict[str, Any]) -> Select:
    """Proposals in the order they were made, by `status`."""
    return filtered(select(Proposal).order_by(Proposal.created_at, Proposal.id), Proposal, filters, ("status",))


def what_is_shown(p: Proposal, household: Household, *, to_company: bool) -> dict[str, Any]:
    """Staff see everything; a company sees the pseudonymous profile until it accepted, and its own
    decline text but not the household's (ProposalOut's views drop the rest for a company)."""
    profile = household_profile(household)
    if not to_company:
        return {"household": {**profile, **household_contact(household), "referral_no": household.referral_no},
                "referral_no": household.referral_no, "snapshot": p.snapshot}
    accepted = p.company_answer == Answer.ACCEPTED
    shown = {"household": {**profile, **household_contact(household)} if accepted else profile,
             "referral_no": household.referral_no if accepted else None}
    if p.decline_party != Party.COMPANY:
        shown["decline_text"] = None
    return shown


def snapshot(h: Household, f: Flat, policy: Policy, today: date) -> dict[str, Any]:
    """The inputs in force when the pair was proposed (kept with the proposal)."""
    return {
        "as_of": today.isoformat(),
        "flat": flat_data(f),
        "household": {**household_profile(h), "urgency": h.urgency, "referred_on": h.referred_on.isoformat(),
                      "preferred_districts": sorted(h.preferred_districts or []),
                      "excluded_districts": sorted(h.excluded_districts or []),
                      "rent_limit_cents": household_limit(h, policy),
                      "rent_limit_override_reason": h.rent_limit_override_reason},
        "policy": policy.as_dict(),
    }


def propose(unit: UnitOfWork, policy: Policy, h: Household, f: Flat, today: date, run_id: str | None) -> Proposal:
    H = HouseholdTable.build([to_domain_household(h)], policy)
    F = FlatTable.build([to_domain_flat(f)], policy)
    results = rules.explain_pair(H, 0, F, 0, policy, today)
    Proposal.check_rules(results)
    now = unit.now()
    proposal = Proposal.make(f, h, run_id=run_id, results=results, breakdown=scoring.breakdown(H, 0, F, 0, policy, today),
                             snapshot=snapshot(h, f, policy, today),
                             respond_by=respond_by(now, policy.response_working_days), now=now)
    unit.session.add(proposal)
    audit_move(unit, f, f.move_to(FlatState.RESERVED), "reserved")
    audit_move(unit, h, h.move_to(HouseholdState.PROPOSED, now), "proposed")
    unit.session.flush()
    unit.audit("proposal", proposal.id, "created", to_state=proposal.status,
               detail={"run_id": run_id, "score": round(proposal.score, 4)})
    unit.publish_recorded(proposal)
    return proposal


def manual_proposal(unit: UnitOfWork, policy: Policy, flat: Flat, household: Household) -> Proposal:
    flat.ensure_on_offer()
    household.ensure_waiting()
    if unit.session.scalar(select(Proposal.id).where(Proposal.household_id == household.id,
                                                     Proposal.flat_id == flat.id)) is not None:
        raise StateConflict("proposal.already_made", "This flat was already proposed to this household.")
    return propose(unit, policy, household, flat, berlin_date(unit.now()), None)


def accept(unit: UnitOfWork, p: Proposal, party: Party) -> None:
    before = p.status
    both = p.accept(party, unit.now())
    unit.audit("proposal", p.id, f"{party}_accepted", from_state=before, to_state=before)
    if both:
        audit_move(unit, p, before, str(ProposalState.ACCEPTED))
    unit.publish_recorded(p)


def decline(unit: UnitOfWork, policy: Policy, p: Proposal, party: Party, reason: str, text: str | None) -> None:
    """The reason (from the configured list) decides what becomes of the flat and the household."""
    now = unit.now()
    p.ensure_answerable(now)
    household = unit.session.get(Household, p.household_id)
    flat = unit.session.get(Flat, p.flat_id)
    outcome = decisions.decline_outcome(policy, party, reason, household.counted_declines)
    audit_move(unit, p, p.decline(party, reason, text, now), "declined", {"party": str(party), "reason": reason})
    if household.count_decline(outcome.counted_declines, outcome.needs_review):
        unit.audit("household", household.id, "review_needed", from_state=household.status,
                   to_state=household.status, detail={"declines": outcome.counted_declines, "reason": reason})
    audit_move(unit, household, household.move_to(outcome.household_state, now), f"decline_{outcome.household_state}")
    audit_move(unit, flat, flat.move_to(outcome.flat_state),
               "reoffered" if outcome.flat_state == FlatState.OFFERED else "withdrawn", {"after_decline": reason})
    unit.publish_recorded(flat, p)


def record_lease(unit: UnitOfWork, policy: Policy, p: Proposal, data: dict[str, Any]) -> None:
    """The signed unlimited lease: flat let, household housed, `matching.tenancy.agreed` emitted."""
    p.ensure_accepted_by_both()
    household = unit.session.get(Household, p.household_id)
    flat = unit.session.get(Flat, p.flat_id)
    terms = decisions.lease_terms(data)
    decisions.check_lease(terms, household_limit(household, policy), data["lease_start"], berlin_date(p.created_at))
    now = unit.now()
    audit_move(unit, p, p.sign_lease(data, now), "leased")
    audit_move(unit, flat, flat.move_to(FlatState.LET), "let")
    audit_move(unit, household, household.move_to(HouseholdState.HOUSED, now), "housed")
    _publish_tenancy_agreed(unit, p, flat, household, terms, data["lease_start"])
    metrics.REFERRAL_TO_LEASE.observe((data["lease_start"] - household.referred_on).days * metrics.DAY)


def _publish_tenancy_agreed(unit: UnitOfWork, p: Proposal, flat: Flat, household: Household,
                            terms: decisions.LeaseTerms, lease_start: date) -> None:
    agreed = {
        "proposal_id": p.id, "flat_id": flat.id, "household_id": household.id, "company_id": flat.company_id,
        "lease_start": lease_start.isoformat(),
        # matching records no end date (a limited lease is refused), only whether it is unlimited
        "lease_unlimited": terms.unlimited, "cold_rent_cents": terms.cold_rent_cents,
        "service_charges_cents": terms.service_charges_cents, "heating_cents": terms.heating_cents,
        "address": flat_address(flat),
        "household": household_contact(household),
    }
    # Version 2 names the referral number as everywhere else (referral_no); version 1 goes on
    # beside it until no consumer reads it any more (docs/EVENT-CHANGES.md).
    unit.publish_versions("matching.tenancy.agreed", {
        1: {**agreed, "household_reference": household.referral_no},
        2: {**agreed, "referral_no": household.referral_no},
    })


def expire_overdue(unit: UnitOfWork) -> int:
    """Expire the proposals whose answer deadline has passed; flat and household are free again."""
    now = unit.now()
    candidates = list(unit.session.scalars(
        select(Proposal).where(Proposal.status.in_(values(OPEN)), Proposal.respond_by < berlin_date(now))
        .with_for_update(skip_locked=True)))
    overdue = [p for p in candidates if is_overdue(p.respond_by, now)]
    for p in overdue:
        audit_move(unit, p, p.expire(now), "expired", {"respond_by": p.respond_by.isoformat()})
        flat = unit.session.get(Flat, p.flat_id)
        audit_move(unit, flat, flat.move_to(FlatState.OFFERED), "reoffered", {"after": "expiry"})
        household = unit.session.get(Household, p.household_id)
        audit_move(unit, household, household.move_to(HouseholdState.WAITING, now), "expired")
        unit.publish_recorded(flat, p)
    return len(overdue)


def decline_counts(session: Session, policy: Policy, start: date | None, end: date | None) -> list[dict[str, Any]]:
    """Declines by party and reason, optionally within [start, end) by decision date (Europe/Berlin)."""
    stmt = (select(Proposal.decline_party, Proposal.decline_reason, func.count())
            .where(Proposal.status == ProposalState.DECLINED.value)
            .group_by(Proposal.decline_party, Proposal.decline_reason))
    if start:
        stmt = stmt.where(Proposal.decided_at >= datetime.combine(start, datetime.min.time(), BERLIN))
    if end:
        stmt = stmt.where(Proposal.decided_at < datetime.combine(end, datetime.min.time(), BERLIN))
    out = []
    for party, reason, n in session.execute(stmt):
        known = policy.find_decline_reason(party, reason)  # None: a reason removed from the configuration since
        out.append({"party": party, "reason": reason, "label_de": known.label_de if known else reason,
                    "counts_towards_review": known.counts if known else False, "count": n})
    return sorted(out, key=lambda x: (x["party"], -x["count"], x["reason"]))
