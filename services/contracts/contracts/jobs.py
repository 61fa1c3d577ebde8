"""Periodic jobs of the contracts worker."""

from __future__ import annotations

from servicekit.worker import JobContext

from contracts import services


def end_of_term(ctx: JobContext, batch_size: int = 200) -> int:
    """Expiry notices 90 and 30 days before the end, then expiry; one transaction per page of
    contracts. Returns how many actions were taken."""
    total, after = 0, None
    while True:
        with ctx.uow() as unit:
            page = services.run_end_of_term(unit, after=after, batch_size=batch_size)
            unit.commit()
        total += page.actions
        if page.last_key is None:
            return total
        after = page.last_key
