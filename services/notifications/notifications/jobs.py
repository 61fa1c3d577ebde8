"""Periodic jobs of the notifications worker."""

from __future__ import annotations

import time

from servicekit.worker import JobContext

from notifications import erasure, runtime, services


def deliver(ctx: JobContext) -> None:
    """Attempt every email and webhook that is due (first attempt or a retry).

    A full batch means more are waiting — the burst after a city-wide matching run brings thousands
    at once — so the job goes on at once instead of idling until its next tick, for up to
    `DELIVERY_BUDGET_S` (then the worker's other jobs get their turn)."""
    deadline = time.monotonic() + runtime.delivery_budget_s()
    while services.deliver_due(ctx.uow, ctx.now()) >= runtime.delivery_batch() and time.monotonic() < deadline:
        pass


def retention(ctx: JobContext) -> None:
    """Erase the contents of messages past their retention period."""
    erasure.apply_retention(ctx.uow, ctx.now(), ctx.settings)
