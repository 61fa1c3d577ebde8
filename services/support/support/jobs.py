"""Periodic jobs of the support worker (clock injected through the JobContext)."""

from __future__ import annotations

import structlog

from servicekit.privacy import retention_days
from servicekit.jobs import JobContext

from support import erasure
from support.usecases import planning

log = structlog.get_logger("support.jobs")


def plan_appointments(ctx: JobContext) -> dict[str, int]:
    """Rolling horizon: keep the next weeks of every open case's support plan booked."""
    counts = planning.plan_open_cases(ctx.uow)
    log.info("plan.run", **counts)
    return counts


def book_new_cases(ctx: JobContext) -> int:
    """The rest of the first weeks of cases that opened with their first visit only."""
    return planning.book_new_cases(ctx.uow)


def crisis_deadlines(ctx: JobContext) -> int:
    return planning.decide_crises(ctx.uow)


def retention(ctx: JobContext) -> dict[str, int]:
    """Erase the household data of cases closed longer than RETENTION_CASE_CLOSED_DAYS ago."""
    period = retention_days(ctx.settings, "case_closed", erasure.DEFAULT_CASE_CLOSED_DAYS)
    counts = erasure.erase_expired_cases(ctx.uow, ctx.now() - period)
    log.info("retention.run", **counts)
    return counts
