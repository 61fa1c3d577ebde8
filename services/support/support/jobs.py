"""Periodic jobs of the support worker (clock injected through the JobContext)."""

from __future__ import annotations

import structlog

from servicekit.worker import JobContext

from support import services

log = structlog.get_logger("support.jobs")


def plan_appointments(ctx: JobContext) -> dict[str, int]:
    """Rolling horizon: keep the next weeks of every open case's support plan booked."""
    counts = services.plan_open_cases(ctx.uow)
    log.info("plan.run", **counts)
    return counts


def crisis_deadlines(ctx: JobContext) -> int:
    return services.decide_crises(ctx.uow)
