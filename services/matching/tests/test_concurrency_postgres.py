"""Two matching runs at the same moment must not propose the same flat or household twice."""

import threading

import pytest
from sqlalchemy import func, select

from servicekit.db import UnitOfWork

from matching import services
from matching.config import default_policy
from matching.models import Proposal
from tests.helpers import offer, refer


def test_concurrent_runs_never_double_book(client, tokens, db):
    if not db.is_postgres:
        pytest.skip("row locks are only real on PostgreSQL")
    for n in range(6):
        offer(client, tokens, unit_ref=f"WE-{n}")
        refer(client, tokens)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def one_run():
        try:
            with UnitOfWork(db, "matching", actor="staff-test", actor_role="staff") as unit:
                barrier.wait()
                run = services.run_matching(unit, default_policy())
                unit.commit()
                results.append(run.proposals_created)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=one_run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    assert sorted(results) == [0, 6]
    with db.session() as s:
        per_flat = s.execute(select(Proposal.flat_id, func.count()).group_by(Proposal.flat_id)).all()
        per_household = s.execute(select(Proposal.household_id, func.count()).group_by(Proposal.household_id)).all()
    assert len(per_flat) == 6 and all(n == 1 for _, n in per_flat)
    assert all(n == 1 for _, n in per_household)
