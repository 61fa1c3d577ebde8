"""Periodic jobs of the notifications worker."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from servicekit.jobs import JobContext

from notifications import erasure, runtime
from notifications.usecases import deliveries


def deliver(ctx: JobContext) -> None:
    """Attempt every email and webhook that is due (first attempt or a retry).

    A full batch means more are waiting — the burst after a city-wide matching run brings thousands
    at once — so the job goes on at once instead of idling until its next tick, for up to
    `DELIVERY_BUDGET_S` (then the worker's other jobs get their turn). A delivery mostly waits (on
    the mail server, the company's endpoint, the database), so on PostgreSQL `DELIVERY_CONCURRENCY`
    threads deliver side by side, each with its own SMTP connection; `FOR UPDATE SKIP LOCKED` hands
    each row to one of them. SQLite has one writer and an attempt runs inside its transaction, so
    there one thread delivers.
    """
    deadline = time.monotonic() + runtime.delivery_budget_s()

    def drain() -> None:
        while deliveries.deliver_due(ctx.uow, ctx.now()) >= runtime.delivery_batch() and time.monotonic() < deadline:
            pass

    threads = runtime.delivery_concurrency() if ctx.db.is_postgres else 1
    if threads <= 1:
        drain()
        return
    with ThreadPoolExecutor(threads, thread_name_prefix="deliver") as pool:
        for future in [pool.submit(drain) for _ in range(threads)]:
            future.result()


def retention(ctx: JobContext) -> None:
    """Erase the contents of messages past their retention period."""
    erasure.apply_retention(ctx.uow, ctx.now(), ctx.settings)
