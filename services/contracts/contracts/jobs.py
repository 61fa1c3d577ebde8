"""Periodic jobs of the contracts worker."""

from __future__ import annotations

from servicekit.jobs import JobContext

from contracts import config, domain, erasure
from contracts.usecases import contracts


def end_of_term(ctx: JobContext, batch_size: int = 200) -> int:
    """Expiry notices 90 and 30 days before the end, then expiry; one transaction per page of
    contracts. Returns how many actions were taken."""
    total, after = 0, None
    while True:
        with ctx.uow() as unit:
            page = contracts.run_end_of_term(unit, after=after, batch_size=batch_size)
            unit.commit()
        total += page.actions
        if page.last_key is None:
            return total
        after = page.last_key


def pending_erasures(ctx: JobContext, batch_size: int = 100) -> int:
    """Erase households whose erasure waited for an open claim, once it is settled, and what was
    filed about an erased household afterwards."""
    total = 0
    for step in (erasure.run_pending_erasures, erasure.erase_late_records):
        while True:
            with ctx.uow() as unit:
                done = step(unit, batch_size)
                unit.commit()
            total += done
            if done < batch_size:
                break
    return total


def retention(ctx: JobContext, batch_size: int = 100) -> int:
    """Erase what the retention periods say is due, by the service's clock; one transaction per batch."""
    periods = erasure.Periods.from_settings(ctx.settings, config.program_config().claim_grace_period_days)
    total = 0
    while True:
        with ctx.uow() as unit:
            done = erasure.run_retention(unit, periods, domain.berlin_date(unit.now()), batch_size)
            unit.commit()
        total += done
        if done == 0:
            return total
