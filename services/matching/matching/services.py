"""Service layer: each use case in one unit of work (state change + outbox event + audit entry).

Views and handlers call these; the rules themselves live in `matching.domain`.
"""

from __future__ import annotations

import time
from datetime import date, datetime
from typing import Any, Iterable

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from servicekit.db import UnitOfWork
from servicekit.errors import Conflict, NotFound, Unprocessable
from servicekit.workdays import BERLIN

from matching import metrics
from matching.domain import decisions, engine, explain, rules, scoring
from matching.domain import model as dm
from matching.domain.deadlines import is_overdue, respond_by
from matching.domain.policy import Policy
from matching.domain.tables import FlatTable, HouseholdTable, rent_limit_cents
from matching.models import Flat, Household, MatchingRun, Proposal, RegisteredCompany

OPEN = ("open", "accepted")  # proposals that still hold their flat and household


# --- conversions -------------------------------------------------------------------------------

def berlin_day(moment: datetime) -> date:
    return moment.astimezone(BERLIN).date()


def to_domain_household(h: Household) -> dm.Household:
    return dm.Household(
        id=h.id,
        adults=h.adults,
        children=h.children,
        urgency=h.urgency,
        referred_on=berlin_day(h.referred_at),
        needs=dm.Needs(h.needs_barrier_free, h.needs_wheelchair, h.needs_ground_floor_or_lift),
        has_pets=h.has_pets,
        preferred_districts=frozenset(h.preferred_districts or ()),
        excluded_districts=frozenset(h.excluded_districts or ()),
        rent_limit_override_cents=h.rent_limit_override_cents,
    )


def to_domain_flat(f: Flat) -> dm.Flat:
    return dm.Flat(
        id=f.id, district=f.district, rooms=f.rooms, area_m2=f.area_m2, floor=f.floor, lift=f.lift,
        barrier_free=f.barrier_free, wheelchair_accessible=f.wheelchair_accessible,
        cold_rent_cents=f.cold_rent_cents, available_from=f.available_from, pets_allowed=f.pets_allowed,
    )


def household_limit(h: Household, policy: Policy) -> int:
    return rent_limit_cents(to_domain_household(h), policy)


def household_profile(h: Household, policy: Policy) -> dict[str, Any]:
    """What a company may see before it accepted: no name, no contact, no referral number."""
    return {
        "size": h.size, "adults": h.adults, "children": h.children,
        "needs": {"barrier_free": h.needs_barrier_free, "wheelchair": h.needs_wheelchair,
                  "ground_floor_or_lift": h.needs_ground_floor_or_lift},
        "has_pets": h.has_pets,
    }


def household_contact(h: Household) -> dict[str, Any]:
    return {"name": h.name, "email": h.email, "phone": h.phone, "size": h.size}


def flat_data(f: Flat) -> dict[str, Any]:
    return {
        "flat_id": f.id, "company_id": f.company_id, "unit_ref": f.unit_ref, "street": f.street,
        "postal_code": f.postal_code, "city": f.city, "district": f.district, "rooms": f.rooms,
        "area_m2": f.area_m2, "floor": f.floor, "lift": f.lift, "barrier_free": f.barrier_free,
        "wheelchair_accessible": f.wheelchair_accessible, "cold_rent_cents": f.cold_rent_cents,
        "service_charges_cents": f.service_charges_cents, "heating_cents": f.heating_cents,
        "available_from": f.available_from.isoformat(), "pets_allowed": f.pets_allowed,
    }


def _set_state(unit: UnitOfWork, entity: str, obj: Any, transitions: dict, new: str, action: str,
               detail: dict | None = None) -> None:
    old = obj.status
    decisions.check(transitions, old, new, entity)
    obj.status = new
    unit.audit(entity, obj.id, action, from_state=old, to_state=new, detail=detail)


def _flat_state(unit, flat, new, action, detail=None):
    try:
        _set_state(unit, "flat", flat, decisions.FLAT_TRANSITIONS, new, action, detail)
    except decisions.TransitionError as exc:
        raise Conflict(str(exc)) from None
    if new in ("offered", "withdrawn"):
        unit.publish(f"matching.flat.{new}", _flat_event(flat))


def _household_state(unit, household, new, action, detail=None):
    if household.status == new:
        return
    try:
        _set_state(unit, "household", household, decisions.HOUSEHOLD_TRANSITIONS, new, action, detail)
    except decisions.TransitionError as exc:
        raise Conflict(str(exc)) from None
    household.status_changed_at = unit.now()


def _flat_address(f: Flat) -> dict[str, Any]:
    return {"street": f.street, "postal_code": f.postal_code, "city": f.city, "district": f.district}


def _flat_event(f: Flat) -> dict[str, Any]:
    return {"flat_id": f.id, "company_id": f.company_id, "district": f.district, "rooms": f.rooms,
            "gross_rent_cents": f.gross_rent_cents, "cold_rent_cents": f.cold_rent_cents}


# --- households and flats ---------------------------------------------------------------------

def refer_household(unit: UnitOfWork, data: dict[str, Any]) -> Household:
    if unit.session.scalar(select(Household.id).where(Household.referral_no == data["referral_no"])):
        raise Conflict("A household with this referral number is already registered.")
    data = dict(data)
    referred_on = data.pop("referred_on", None)
    now = unit.now()
    if referred_on is not None and referred_on > berlin_day(now):
        raise Unprocessable("the referral date lies in the future", field="referred_on")
    # A referral date from the office counts from its start in Stuttgart; otherwise from now.
    referred_at = now if referred_on is None else datetime.combine(referred_on, datetime.min.time(), BERLIN)
    household = Household(**data, status="waiting", referred_at=referred_at, counted_declines=0, needs_review=False,
                          status_changed_at=now)
    unit.session.add(household)
    unit.session.flush()
    unit.publish("matching.household.referred",
                 {"household_id": household.id, "size": household.size, "urgency": household.urgency,
                  "household_reference": household.referral_no})
    unit.audit("household", household.id, "referred", to_state="waiting")
    return household


def ensure_not_erased(household: Household) -> None:
    if household.erased_at is not None:
        raise Conflict("The household's data was erased.")


def set_rent_limit_override(unit: UnitOfWork, household: Household, cents: int | None, reason: str) -> None:
    ensure_not_erased(household)
    before = household.rent_limit_override_cents
    household.rent_limit_override_cents = cents
    household.rent_limit_override_reason = reason if cents is not None else None
    # The reason is free text about the household: it stays in its encrypted column, not in the trail.
    unit.audit("household", household.id, "rent_limit_override", from_state=household.status,
               to_state=household.status, detail={"from_cents": before, "to_cents": cents})


def offer_flat(unit: UnitOfWork, data: dict[str, Any], company_id: str) -> Flat:
    data = {k: v for k, v in data.items() if k != "company_id"}
    if unit.session.get(RegisteredCompany, str(company_id).lower()) is None:
        # Only companies contracts registered offer flats (contracts.company.registered); a flat of an
        # id nobody registered would be an object for a company that does not exist (issue 23).
        raise Unprocessable("No housing company with this id is registered (yet: registration reaches matching "
                            "a moment after contracts answered).", field="company_id")
    if data["wheelchair_accessible"] and not (data["floor"] == 0 or data["lift"]):
        raise Unprocessable("a wheelchair-accessible flat needs the ground floor or a lift", field="wheelchair_accessible")
    flat = Flat(**data, company_id=company_id, status="offered", offered_at=unit.now())
    if flat.wheelchair_accessible:
        flat.barrier_free = True
    unit.session.add(flat)
    unit.session.flush()
    unit.publish("matching.flat.offered", _flat_event(flat))
    unit.audit("flat", flat.id, "offered", to_state="offered")
    return flat


def update_flat(unit: UnitOfWork, flat: Flat, changes: dict[str, Any]) -> None:
    if flat.status != "offered":
        raise Conflict(f"The flat is {flat.status}; only a flat on offer can be changed.")
    merged = {**{k: getattr(flat, k) for k in changes}, **changes}
    wheelchair = merged.get("wheelchair_accessible", flat.wheelchair_accessible)
    if wheelchair and not (merged.get("floor", flat.floor) == 0 or merged.get("lift", flat.lift)):
        raise Unprocessable("a wheelchair-accessible flat needs the ground floor or a lift", field="wheelchair_accessible")
    before = {k: getattr(flat, k) for k in changes if getattr(flat, k) != changes[k]}
    for key, value in changes.items():
        setattr(flat, key, value)
    if flat.wheelchair_accessible:
        flat.barrier_free = True
    unit.audit("flat", flat.id, "updated", from_state=flat.status, to_state=flat.status,
               detail={k: str(v) for k, v in before.items()})


def _open_proposals(session: Session, **where: str) -> list[Proposal]:
    stmt = select(Proposal).where(Proposal.status.in_(OPEN))
    for column, value in where.items():
        stmt = stmt.where(getattr(Proposal, column) == value)
    return list(session.scalars(stmt.with_for_update()))


def withdraw_flat(unit: UnitOfWork, flat: Flat, reason: str) -> None:
    for p in _open_proposals(unit.session, flat_id=flat.id):
        _close_proposal(unit, p, "withdrawn", {"reason": "flat withdrawn"})
        _household_state(unit, unit.session.get(Household, p.household_id), "waiting", "proposal_withdrawn")
    _flat_state(unit, flat, "withdrawn", "withdrawn", {"reason": reason})


def withdraw_household(unit: UnitOfWork, household: Household, reason: str) -> None:
    ensure_not_erased(household)
    for p in _open_proposals(unit.session, household_id=household.id):
        _close_proposal(unit, p, "withdrawn", {"reason": "household withdrawn"})
        _flat_state(unit, unit.session.get(Flat, p.flat_id), "offered", "reoffered")
    _household_state(unit, household, "withdrawn", "withdrawn")
    household.withdrawal_reason = reason  # free text about the household: encrypted, not in the trail


# --- runs and proposals -----------------------------------------------------------------------

def _snapshot(h: Household, f: Flat, policy: Policy, today: date) -> dict[str, Any]:
    return {
        "as_of": today.isoformat(),
        "flat": flat_data(f),
        "household": {**household_profile(h, policy), "urgency": h.urgency,
                      "referred_on": berlin_day(h.referred_at).isoformat(),
                      "preferred_districts": sorted(h.preferred_districts or []),
                      "excluded_districts": sorted(h.excluded_districts or []),
                      "rent_limit_cents": household_limit(h, policy),
                      "rent_limit_override_reason": h.rent_limit_override_reason},
        "policy": policy.as_dict(),
    }


def _propose(unit: UnitOfWork, policy: Policy, h: Household, f: Flat, today: date, run_id: str | None) -> Proposal:
    H = HouseholdTable.build([to_domain_household(h)], policy)
    F = FlatTable.build([to_domain_flat(f)], policy)
    results = rules.explain_pair(H, 0, F, 0, policy, today)
    failed = [r for r in results if not r.passed]
    if failed:
        raise Unprocessable("; ".join(r.reason for r in failed), field=failed[0].rule)
    breakdown = scoring.breakdown(H, 0, F, 0, policy, today)
    now = unit.now()
    proposal = Proposal(
        run_id=run_id, flat_id=f.id, household_id=h.id, company_id=f.company_id, status="open",
        score=breakdown.total, score_breakdown=breakdown.as_dict(),
        rules_passed=[{"rule": r.rule, "passed": r.passed, "reason": r.reason} for r in results],
        snapshot=_snapshot(h, f, policy, today), respond_by=respond_by(now, policy.response_working_days),
        created_at=now,
    )
    unit.session.add(proposal)
    _flat_state(unit, f, "reserved", "reserved")
    _household_state(unit, h, "proposed", "proposed")
    unit.session.flush()
    unit.audit("proposal", proposal.id, "created", to_state="open", detail={"run_id": run_id, "score": round(proposal.score, 4)})
    unit.publish("matching.proposal.created", {
        "proposal_id": proposal.id, "flat_id": f.id, "household_id": h.id, "company_id": f.company_id,
        "respond_by": proposal.respond_by.isoformat(), "district": f.district, "rooms": f.rooms,
        # how people name the flat and the household in messages (the company's own flat reference)
        "unit_ref": f.unit_ref, "address": _flat_address(f), "household_reference": h.referral_no,
    })
    return proposal


def _already_proposed(session: Session, household_id: str, flat_id: str) -> bool:
    return session.scalar(select(Proposal.id).where(Proposal.household_id == household_id,
                                                    Proposal.flat_id == flat_id)) is not None


def manual_proposal(unit: UnitOfWork, policy: Policy, flat: Flat, household: Household) -> Proposal:
    if flat.status != "offered":
        raise Conflict(f"The flat is {flat.status}, not on offer.")
    if household.status != "waiting":
        raise Conflict(f"The household is {household.status}, not waiting.")
    if _already_proposed(unit.session, household.id, flat.id):
        raise Conflict("This flat was already proposed to this household.")
    return _propose(unit, policy, household, flat, berlin_day(unit.now()), None)


RUN_PENDING = "pending"


def active_run(session: Session) -> MatchingRun | None:
    return session.scalar(select(MatchingRun).where(MatchingRun.active_slot.is_not(None)))


def request_run(unit: UnitOfWork) -> MatchingRun:
    """Queue a matching run for the worker; 409 while one is queued or running.

    The unique `active_slot` makes the database the arbiter: two requests in two gunicorn workers
    (or replicas) cannot both insert a pending run, whatever they read before."""
    running = active_run(unit.session)
    if running is not None:
        raise _run_in_progress(running.id)
    now = unit.now()
    run = MatchingRun(
        status=RUN_PENDING, active_slot=1, started_at=now, started_by=unit.actor, households_considered=0,
        flats_considered=0, eligible_pairs=0, proposals_created=0, total_score=0.0, duration_ms=0,
        certified_optimal=False,
    )
    try:
        with unit.session.begin_nested():  # a savepoint: after a refused insert the transaction goes on
            unit.session.add(run)
            unit.session.flush()
    except IntegrityError:
        other = active_run(unit.session)
        raise _run_in_progress(other.id if other else None) from None
    unit.audit("matching_run", run.id, "requested", to_state=RUN_PENDING)
    return run


def _run_in_progress(run_id: str | None) -> Conflict:
    return Conflict("A matching run is already queued or running; start the next one when it has finished "
                    "(GET /api/v1/matching-runs/{id}).", code="matching_run.in_progress", run_id=run_id)


def pending_run_id():
    return select(MatchingRun.id).where(MatchingRun.status == RUN_PENDING).order_by(MatchingRun.started_at).limit(1)


def execute_pending_run(unit: UnitOfWork, policy: Policy, run_id: str) -> MatchingRun | None:
    """The worker's part: execute a pending run in this transaction (row locked, so a second worker
    skips it: None; a worker that dies mid-run leaves it pending for the next)."""
    run = unit.session.scalars(
        select(MatchingRun).where(MatchingRun.id == run_id, MatchingRun.status == RUN_PENDING)
        .with_for_update(skip_locked=True)).first()
    if run is None:
        return None
    run_matching(unit, policy, run)
    run.status, run.active_slot, run.finished_at = "completed", None, unit.now()
    return run


def fail_run(unit: UnitOfWork, run_id: str, error: str) -> None:
    """A run whose execution raised is closed as failed, so it does not block the next one forever."""
    run = unit.session.get(MatchingRun, run_id, with_for_update=True)
    if run is not None and run.status == RUN_PENDING:
        run.status, run.active_slot, run.finished_at, run.error = "failed", None, unit.now(), error[:200]
        unit.audit("matching_run", run.id, "failed", from_state=RUN_PENDING, to_state="failed", detail={"error": error[:200]})


def run_matching(unit: UnitOfWork, policy: Policy, run: MatchingRun | None = None) -> MatchingRun:
    """Run the global assignment now, in this transaction, filling `run` (a new row without one)."""
    started = time.perf_counter()
    now = unit.now()
    today = berlin_day(now)
    # Locks the rows a concurrent run would also want (PostgreSQL); the second run then sees them taken.
    flats = list(unit.session.scalars(select(Flat).where(Flat.status == "offered").order_by(Flat.id).with_for_update()))
    households = list(unit.session.scalars(
        select(Household).where(Household.status == "waiting").order_by(Household.id).with_for_update()))
    history = unit.session.execute(select(Proposal.household_id, Proposal.flat_id)).all()
    H = HouseholdTable.build([to_domain_household(h) for h in households], policy)
    F = FlatTable.build([to_domain_flat(f) for f in flats], policy)
    result = engine.run(H, F, policy, today, previously_proposed=[(h, f) for h, f in history])
    if run is None:
        run = MatchingRun(status="completed", started_at=now, started_by=unit.actor)
        unit.session.add(run)
    run.started_at = now  # when the assignment really started (a queued run: not when it was asked for)
    run.households_considered, run.flats_considered = len(households), len(flats)
    run.eligible_pairs, run.proposals_created, run.total_score, run.duration_ms = result.eligible_pairs, 0, 0.0, 0
    run.certified_optimal = result.certified_optimal
    run.score_upper_bound = None if result.upper_bound == float("inf") else round(result.upper_bound, 4)
    unit.session.flush()
    by_h = {h.id: h for h in households}
    by_f = {f.id: f for f in flats}
    total = 0.0
    for m in result.matches(H, F):
        proposal = _propose(unit, policy, by_h[m.household_id], by_f[m.flat_id], today, run.id)
        total += proposal.score
    run.proposals_created = len(result.score)
    run.total_score = round(total, 4)
    if result.certified_optimal:
        run.score_upper_bound = run.total_score
    run.duration_ms = int((time.perf_counter() - started) * 1000)
    unit.audit("matching_run", run.id, "run", detail={"proposals": run.proposals_created,
                                                       "households": run.households_considered,
                                                       "flats": run.flats_considered})
    metrics.RUN_DURATION.observe(run.duration_ms / 1000)
    return run


def _close_proposal(unit: UnitOfWork, p: Proposal, new: str, detail: dict | None = None) -> None:
    try:
        _set_state(unit, "proposal", p, decisions.PROPOSAL_TRANSITIONS, new, new, detail)
    except decisions.TransitionError as exc:
        raise Conflict(str(exc)) from None
    p.decided_at = unit.now()


def _ensure_answerable(unit: UnitOfWork, p: Proposal) -> None:
    if p.status not in OPEN:
        raise Conflict(f"The proposal is {p.status}.")
    if is_overdue(p.respond_by, unit.now()):
        raise Conflict(f"The proposal expired: the answer was due by {p.respond_by.isoformat()}.")


def accept(unit: UnitOfWork, p: Proposal, party: str) -> None:
    _ensure_answerable(unit, p)
    column = f"{party}_answer"
    if getattr(p, column) == "accepted":
        raise Conflict(f"The {party} already accepted.")
    setattr(p, column, "accepted")
    unit.audit("proposal", p.id, f"{party}_accepted", from_state=p.status, to_state=p.status)
    if p.company_answer == "accepted" and p.household_answer == "accepted":
        _close_proposal(unit, p, "accepted")
    unit.publish("matching.proposal.accepted", {
        "proposal_id": p.id, "party": party, "reason": None, "flat_id": p.flat_id,
        "household_id": p.household_id, "company_id": p.company_id, "both_accepted": p.status == "accepted",
    })


def decline(unit: UnitOfWork, policy: Policy, p: Proposal, party: str, reason: str, text: str | None) -> None:
    _ensure_answerable(unit, p)
    try:
        outcome = decisions.decline_outcome(policy, party, reason,
                                            unit.session.get(Household, p.household_id).counted_declines)
    except ValueError:
        raise Unprocessable(f"unknown decline reason {reason!r} for the {party}", field="reason") from None
    setattr(p, f"{party}_answer", "declined")
    p.decline_party, p.decline_reason, p.decline_text = party, reason, text
    _close_proposal(unit, p, "declined", {"party": party, "reason": reason})
    household = unit.session.get(Household, p.household_id)
    flat = unit.session.get(Flat, p.flat_id)
    household.counted_declines = outcome.counted_declines
    if outcome.needs_review and not household.needs_review:
        household.needs_review = True
        unit.audit("household", household.id, "review_needed", from_state=household.status,
                   to_state=household.status, detail={"declines": outcome.counted_declines, "reason": reason})
    _household_state(unit, household, outcome.household_state, f"decline_{outcome.household_state}")
    _flat_state(unit, flat, outcome.flat_state, "reoffered" if outcome.flat_state == "offered" else "withdrawn",
                {"after_decline": reason})
    unit.publish("matching.proposal.declined", {
        "proposal_id": p.id, "party": party, "reason": reason, "flat_id": p.flat_id,
        "household_id": p.household_id, "company_id": p.company_id,
    })


def record_lease(unit: UnitOfWork, policy: Policy, p: Proposal, data: dict[str, Any]) -> None:
    if p.status != "accepted":
        raise Conflict(f"A lease needs a proposal accepted by both; this one is {p.status}.")
    household = unit.session.get(Household, p.household_id)
    flat = unit.session.get(Flat, p.flat_id)
    terms = decisions.LeaseTerms(
        unlimited=data["unlimited"], graduated_rent=data["graduated_rent"], index_linked_rent=data["index_linked_rent"],
        cold_rent_cents=data["cold_rent_cents"], service_charges_cents=data["service_charges_cents"],
        heating_cents=data["heating_cents"],
    )
    problems = decisions.lease_problems(terms, household_limit(household, policy))
    if problems:
        field, detail = next(iter(problems.items()))
        raise Unprocessable(detail, field=field, problems=problems)
    if data["lease_start"] < berlin_day(p.created_at):
        raise Unprocessable("the lease cannot start before the proposal was made", field="lease_start")
    p.lease = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in data.items()}
    _close_proposal(unit, p, "leased")
    _flat_state(unit, flat, "let", "let")
    _household_state(unit, household, "housed", "housed")
    agreed = {
        "proposal_id": p.id, "flat_id": flat.id, "household_id": household.id, "company_id": flat.company_id,
        "lease_start": data["lease_start"].isoformat(),
        # matching records no end date (a limited lease is refused above), only whether it is unlimited
        "lease_unlimited": terms.unlimited, "cold_rent_cents": terms.cold_rent_cents,
        "service_charges_cents": terms.service_charges_cents, "heating_cents": terms.heating_cents,
        "address": _flat_address(flat),
        "household": household_contact(household),
    }
    # Version 2 names the referral number as everywhere else (referral_no); version 1 goes on
    # beside it until no consumer reads it any more (docs/EVENT-CHANGES.md).
    unit.publish_versions("matching.tenancy.agreed", {
        1: {**agreed, "household_reference": household.referral_no},
        2: {**agreed, "referral_no": household.referral_no},
    })
    metrics.REFERRAL_TO_LEASE.observe((data["lease_start"] - berlin_day(household.referred_at)).days * metrics.DAY)


def expire_overdue(unit: UnitOfWork) -> int:
    now = unit.now()
    candidates = list(unit.session.scalars(
        select(Proposal).where(Proposal.status.in_(OPEN), Proposal.respond_by < berlin_day(now))
        .with_for_update(skip_locked=True)))
    count = 0
    for p in candidates:
        if not is_overdue(p.respond_by, now):
            continue
        _close_proposal(unit, p, "expired", {"respond_by": p.respond_by.isoformat()})
        _flat_state(unit, unit.session.get(Flat, p.flat_id), "offered", "reoffered", {"after": "expiry"})
        _household_state(unit, unit.session.get(Household, p.household_id), "waiting", "expired")
        unit.publish("matching.proposal.expired", {
            "proposal_id": p.id, "party": None, "reason": "deadline_passed", "flat_id": p.flat_id,
            "household_id": p.household_id, "company_id": p.company_id,
        })
        count += 1
    return count


# --- why not ----------------------------------------------------------------------------------

def _verdicts(verdicts: Iterable[explain.Verdict]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {"eligible": [], "excluded": []}
    for v in verdicts:
        item = {"id": v.other_id, "eligible": v.eligible,
                "failed_rules": [{"rule": r.rule, "passed": r.passed, "reason": r.reason} for r in v.failed],
                "score": v.score.as_dict() if v.score else None}
        out["eligible" if v.eligible else "excluded"].append(item)
    return out


def why_not_household(session: Session, policy: Policy, household: Household, today: date) -> dict:
    flats = list(session.scalars(select(Flat).where(Flat.status == "offered").order_by(Flat.id)))
    H = HouseholdTable.build([to_domain_household(household)], policy)
    F = FlatTable.build([to_domain_flat(f) for f in flats], policy)
    return _verdicts(explain.for_household(H, 0, F, policy, today))


def why_not_flat(session: Session, policy: Policy, flat: Flat, today: date) -> dict:
    households = list(session.scalars(select(Household).where(Household.status == "waiting").order_by(Household.id)))
    H = HouseholdTable.build([to_domain_household(h) for h in households], policy)
    F = FlatTable.build([to_domain_flat(flat)], policy)
    return _verdicts(explain.for_flat(H, F, 0, policy, today))


def get_or_404(session: Session, model, ident) -> Any:
    obj = session.get(model, str(ident))
    if obj is None:
        raise NotFound(f"No {model.__tablename__[:-1]} with this id.")
    return obj


def decline_counts(session: Session, policy: Policy, start: date | None, end: date | None) -> list[dict[str, Any]]:
    stmt = (select(Proposal.decline_party, Proposal.decline_reason, func.count())
            .where(Proposal.status == "declined").group_by(Proposal.decline_party, Proposal.decline_reason))
    if start:
        stmt = stmt.where(Proposal.decided_at >= datetime.combine(start, datetime.min.time(), BERLIN))
    if end:
        stmt = stmt.where(Proposal.decided_at < datetime.combine(end, datetime.min.time(), BERLIN))
    out = []
    for party, reason, n in session.execute(stmt):
        try:
            r = policy.decline_reason(party, reason)
            label, counts = r.label_de, r.counts
        except ValueError:  # a reason removed from the configuration since
            label, counts = reason, False
        out.append({"party": party, "reason": reason, "label_de": label, "counts_towards_review": counts, "count": n})
    return sorted(out, key=lambda x: (x["party"], -x["count"], x["reason"]))
