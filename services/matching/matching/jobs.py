"""Periodic jobs of the matching worker."""

from __future__ import annotations

import structlog

from servicekit.jobs import JobContext

from matching import retention
from matching.usecases import proposals, runs
from matching.config import default_policy

log = structlog.get_logger("matching.jobs")


def expire_proposals(ctx: JobContext) -> int:
    """Expire proposals whose answer deadline has passed; flat and household are free for the next run."""
    with ctx.uow() as unit:
        count = proposals.expire_overdue(unit)
        unit.commit()
    return count


def apply_retention(ctx: JobContext) -> dict[str, int]:
    """Erase what matching's retention periods say is due (see matching.retention)."""
    return retention.run(ctx)


def execute_runs(ctx: JobContext) -> int:
    """Execute queued matching runs, one transaction each (the web process only queues them: a run
    may take its whole time budget, which must not block a web worker)."""
    done = 0
    while True:
        with ctx.uow() as unit:
            pending = unit.session.scalar(runs.pending_run_id())
        if pending is None:
            return done
        try:
            with ctx.uow() as unit:
                run = runs.execute_pending_run(unit, default_policy(), pending)
                unit.commit()
        except Exception as exc:
            log.exception("matching_run.failed", run_id=pending, error=type(exc).__name__)
            with ctx.uow() as unit:
                runs.fail_run(unit, pending, type(exc).__name__)
                unit.commit()
            run = True
        if run is None:  # another worker holds it
            return done
        done += 1
