"""Periodic jobs of the matching worker."""

from __future__ import annotations

from servicekit.worker import JobContext

from matching import retention, services


def expire_proposals(ctx: JobContext) -> int:
    """Expire proposals whose answer deadline has passed; flat and household are free for the next run."""
    with ctx.uow() as unit:
        count = services.expire_overdue(unit)
        unit.commit()
    return count


def apply_retention(ctx: JobContext) -> dict[str, int]:
    """Erase what matching's retention periods say is due (see matching.retention)."""
    return retention.run(ctx)
