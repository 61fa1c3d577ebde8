"""Periodic jobs: what a service declares (`Job`), what each run gets (`JobContext`), and the loop
the worker runs them in."""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import structlog

from servicekit import metrics
from servicekit.clock import Clock
from servicekit.db.database import Database
from servicekit.db.uow import UnitOfWork
from servicekit.settings import Settings

log = structlog.get_logger("servicekit.worker")


@dataclass
class JobContext:
    """What a periodic job gets: the database, settings, the clock and units of work."""

    settings: Settings
    db: Database
    clock: Clock

    def now(self):
        return self.clock.now()

    @contextmanager
    def uow(self, actor: str | None = None) -> Iterator[UnitOfWork]:
        with UnitOfWork(
            self.db, self.settings.service, actor=actor or "system", actor_role="system", clock=self.clock
        ) as uow:
            yield uow


def run_job(job: Job, ctx: JobContext) -> None:
    started = time.perf_counter()
    try:
        job.run(ctx)
        metrics.JOB_RUNS.labels(ctx.settings.service, job.name, "ok").inc()
    except Exception as exc:
        metrics.JOB_RUNS.labels(ctx.settings.service, job.name, "error").inc()
        log.exception("job.failed", job=job.name, error=type(exc).__name__)
    finally:
        metrics.JOB_LATENCY.labels(ctx.settings.service, job.name).observe(time.perf_counter() - started)


def run_jobs(jobs: list[Job], ctx: JobContext, stop: threading.Event) -> None:
    next_run = {job.name: 0.0 for job in jobs}
    while not stop.is_set():
        for job in jobs:
            if time.monotonic() >= next_run[job.name]:
                run_job(job, ctx)
                next_run[job.name] = time.monotonic() + job.every_seconds
        stop.wait(min([max(0.05, t - time.monotonic()) for t in next_run.values()], default=1.0))


@dataclass(frozen=True)
class Job:
    """A periodic job of the worker (expire proposals, book appointments, send mail, ...)."""

    name: str
    every_seconds: float
    run: Callable[[JobContext], Any]
