"""Periodic jobs of the contracts worker."""

from __future__ import annotations

from servicekit.worker import JobContext

from contracts import services


def end_of_term(ctx: JobContext) -> int:
    """Expiry notices 90 and 30 days before the end, then expiry; in batches until nothing is due."""
    total = 0
    while True:
        with ctx.uow() as unit:
            done = services.run_end_of_term(unit)
            unit.commit()
        total += done
        if done == 0:
            return total
