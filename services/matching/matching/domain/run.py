"""A global matching run: `pending` from the request until the worker executed it, then
`completed` (figures filled) or `failed`. While pending it holds the one active slot."""

from __future__ import annotations

import enum
from datetime import datetime

from servicekit.errors import StateConflict

from matching.domain.lifecycle import Lifecycle

ERROR_LENGTH = 200  # the stored error is the exception's type name, cut to the column


class RunState(enum.StrEnum):
    PENDING = "pending"
    COMPLETED = "completed"
    FAILED = "failed"


TRANSITIONS = {
    RunState.PENDING: frozenset({RunState.COMPLETED, RunState.FAILED}),
    RunState.COMPLETED: frozenset(),
    RunState.FAILED: frozenset(),
}


def run_in_progress(run_id: str | None) -> StateConflict:
    return StateConflict("matching_run.in_progress",
                         "A matching run is already queued or running; start the next one when it has finished "
                         "(GET /api/v1/matching-runs/{id}).", run_id=run_id)


class RunRules(Lifecycle):
    ENTITY = "matching_run"
    TRANSITIONS = TRANSITIONS

    @classmethod
    def queue(cls, actor: str, at: datetime):
        return cls(status=RunState.PENDING.value, active_slot=1, started_at=at, started_by=actor,
                   households_considered=0, flats_considered=0, eligible_pairs=0, proposals_created=0,
                   total_score=0.0, duration_ms=0, certified_optimal=False)

    def finish(self, at: datetime) -> str:
        old = self.move_to(RunState.COMPLETED)
        self.active_slot, self.finished_at = None, at
        return old

    def fail(self, error: str, at: datetime) -> str:
        old = self.move_to(RunState.FAILED)
        self.active_slot, self.finished_at, self.error = None, at, error[:ERROR_LENGTH]
        return old
