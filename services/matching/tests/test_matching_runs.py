"""Matching runs one at a time, executed by the worker (issue 23, finding 8): staff could start 14
runs back to back and 6 at once, each using up to its 8 s budget inside a web worker."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from servicekit.web.app import create_app

from matching.usecases import runs
from matching.models import MatchingRun, Proposal
from tests.helpers import execute_queued_runs, offer, refer, run


def _queue(client, tokens):
    return client.post("/api/v1/matching-runs", headers=tokens.staff())


def test_a_second_run_while_one_is_pending_is_409_and_the_next_one_after_it_is_accepted(client, tokens):
    offer(client, tokens)
    refer(client, tokens)
    first = _queue(client, tokens)
    assert first.status_code == 202 and first.json["status"] == "pending"
    again = _queue(client, tokens)
    assert again.status_code == 409
    assert again.mimetype == "application/problem+json"
    assert again.json["code"] == "matching_run.in_progress" and again.json["run_id"] == first.json["id"]
    # the request did no matching: nothing proposed until the worker's job ran
    assert client.get("/api/v1/proposals", headers=tokens.staff()).json == []
    assert execute_queued_runs(client) == 1
    done = client.get(first.headers["Location"], headers=tokens.staff()).json
    assert done["status"] == "completed" and done["proposals_created"] == 1 and done["finished_at"]
    assert _queue(client, tokens).status_code == 202


def test_six_requests_at_once_in_two_web_processes_queue_exactly_one_run(service, settings, db, clock, tokens,
                                                                          run_concurrently):
    """Two apps with their own connection pools stand for two gunicorn workers (or replicas): only the
    database can arbitrate between them, and its unique `active_slot` does."""
    if not db.is_postgres:
        pytest.skip("concurrent writers are only real on PostgreSQL")
    apps = [create_app(service, settings, clock=clock) for _ in range(2)]
    try:
        statuses = run_concurrently(lambda i: _queue(apps[i % 2].test_client(), tokens).status_code, 6)
    finally:
        for app in apps:
            app.extensions["servicekit"].db.dispose()
    assert sorted(statuses) == [202] + [409] * 5
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(MatchingRun)) == 1


def test_a_run_that_fails_is_closed_as_failed_and_does_not_block_the_next(client, tokens, monkeypatch):
    offer(client, tokens)
    refer(client, tokens)
    first = _queue(client, tokens).json

    def broken(*args, **kwargs):
        raise RuntimeError("solver crashed")

    monkeypatch.setattr(runs, "run_matching", broken)
    execute_queued_runs(client)
    failed = client.get(f"/api/v1/matching-runs/{first['id']}", headers=tokens.staff()).json
    assert failed["status"] == "failed" and failed["error"] == "RuntimeError"
    monkeypatch.undo()
    assert run(client, tokens)["proposals_created"] == 1


@pytest.fixture
def job_thread(service, settings, db, clock):
    """The worker's periodic jobs as `wohnenplus worker` runs them (the kit's worker fixture runs none)."""
    from servicekit.worker import Worker

    running = Worker(service, settings, db=db, clock=clock).start(consume=False, relay=False, jobs=True)
    yield running
    running.shutdown()


def test_the_worker_executes_the_queued_run_off_the_request(client, tokens, db, job_thread):
    offer(client, tokens)
    refer(client, tokens)
    started = time.perf_counter()
    queued = _queue(client, tokens)
    assert queued.status_code == 202
    deadline = time.monotonic() + 30
    while (state := client.get(queued.headers["Location"], headers=tokens.staff()).json)["status"] == "pending":
        assert time.monotonic() < deadline, "the worker never ran it"
        time.sleep(0.1)
    assert state["status"] == "completed" and state["proposals_created"] == 1
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Proposal).where(Proposal.run_id == queued.json["id"])) == 1
    assert time.perf_counter() - started < 30
