"""Use cases of the matching run: queue one (web), execute or fail it (worker), or run one now."""

from __future__ import annotations

import time

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from servicekit.clock import berlin_date
from servicekit.db import UnitOfWork

from matching import metrics
from matching.domain import engine
from matching.domain.flat import FlatState
from matching.domain.household import HouseholdState
from matching.domain.policy import Policy
from matching.domain.run import RunState, run_in_progress
from matching.domain.tables import FlatTable, HouseholdTable
from matching.models import Flat, Household, MatchingRun, Proposal
from matching.usecases.common import audit_move, to_domain_flat, to_domain_household
from matching.usecases.proposals import propose


def listing() -> Select:
    """Past runs, newest first."""
    return select(MatchingRun).order_by(MatchingRun.started_at.desc())


def active_run(session: Session) -> MatchingRun | None:
    return session.scalar(select(MatchingRun).where(MatchingRun.active_slot.is_not(None)))


def request_run(unit: UnitOfWork) -> MatchingRun:
    """Queue a matching run for the worker; 409 while one is queued or running.

    The unique `active_slot` makes the database the arbiter: two requests in two gunicorn workers
    (or replicas) cannot both insert a pending run, whatever they read before."""
    running = active_run(unit.session)
    if running is not None:
        raise run_in_progress(running.id)
    run = MatchingRun.queue(unit.actor, unit.now())
    try:
        with unit.session.begin_nested():  # a savepoint: after a refused insert the transaction goes on
            unit.session.add(run)
            unit.session.flush()
    except IntegrityError:
        other = active_run(unit.session)
        raise run_in_progress(other.id if other else None) from None
    unit.audit("matching_run", run.id, "requested", to_state=run.status)
    return run


def pending_run_id():
    return (select(MatchingRun.id).where(MatchingRun.status == RunState.PENDING.value)
            .order_by(MatchingRun.started_at).limit(1))


def execute_pending_run(unit: UnitOfWork, policy: Policy, run_id: str) -> MatchingRun | None:
    """The worker's part: execute a pending run in this transaction (row locked, so a second worker
    skips it: None; a worker that dies mid-run leaves it pending for the next)."""
    run = unit.session.scalars(
        select(MatchingRun).where(MatchingRun.id == run_id, MatchingRun.status == RunState.PENDING.value)
        .with_for_update(skip_locked=True)).first()
    if run is None:
        return None
    run_matching(unit, policy, run)
    run.finish(unit.now())
    return run


def fail_run(unit: UnitOfWork, run_id: str, error: str) -> None:
    """A run whose execution raised is closed as failed, so it does not block the next one forever."""
    run = unit.session.get(MatchingRun, run_id, with_for_update=True)
    if run is not None and run.status == RunState.PENDING:
        audit_move(unit, run, run.fail(error, unit.now()), "failed", {"error": run.error})


def run_matching(unit: UnitOfWork, policy: Policy, run: MatchingRun | None = None) -> MatchingRun:
    """Run the global assignment now, in this transaction, filling `run` (a new row without one)."""
    started = time.perf_counter()
    now = unit.now()
    today = berlin_date(now)
    flats, households = _free_flats_and_households(unit.session)
    history = unit.session.execute(select(Proposal.household_id, Proposal.flat_id)).all()
    H = HouseholdTable.build([to_domain_household(h) for h in households], policy)
    F = FlatTable.build([to_domain_flat(f) for f in flats], policy)
    result = engine.run(H, F, policy, today, previously_proposed=[(h, f) for h, f in history])
    if run is None:
        run = MatchingRun(status=RunState.COMPLETED.value, started_at=now, started_by=unit.actor)
        unit.session.add(run)
    _start(run, now, result, len(households), len(flats))
    unit.session.flush()
    by_h = {h.id: h for h in households}
    by_f = {f.id: f for f in flats}
    total = sum((propose(unit, policy, by_h[m.household_id], by_f[m.flat_id], today, run.id).score
                 for m in result.matches(H, F)), 0.0)
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


def _free_flats_and_households(session: Session) -> tuple[list[Flat], list[Household]]:
    # Locks the rows a concurrent run would also want (PostgreSQL); the second run then sees them taken.
    flats = list(session.scalars(
        select(Flat).where(Flat.status == FlatState.OFFERED.value).order_by(Flat.id).with_for_update()))
    households = list(session.scalars(
        select(Household).where(Household.status == HouseholdState.WAITING.value).order_by(Household.id)
        .with_for_update()))
    return flats, households


def _start(run: MatchingRun, now, result: engine.RunResult, households: int, flats: int) -> None:
    run.started_at = now  # when the assignment really started (a queued run: not when it was asked for)
    run.households_considered, run.flats_considered = households, flats
    run.eligible_pairs, run.proposals_created, run.total_score, run.duration_ms = result.eligible_pairs, 0, 0.0, 0
    run.certified_optimal = result.certified_optimal
    run.score_upper_bound = None if result.upper_bound == float("inf") else round(result.upper_bound, 4)
