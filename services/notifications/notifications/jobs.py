"""Periodic jobs of the notifications worker."""

from __future__ import annotations

from servicekit.worker import JobContext

from notifications import erasure, services


def deliver(ctx: JobContext) -> None:
    """Attempt every email and webhook that is due (first attempt or a retry)."""
    services.deliver_due(ctx.uow, ctx.now())


def retention(ctx: JobContext) -> None:
    """Erase the contents of messages past their retention period."""
    erasure.apply_retention(ctx.uow, ctx.now(), ctx.settings)
