"""Two matching runs at the same moment must not propose the same flat or household twice."""

import pytest
from sqlalchemy import func, select

from servicekit.db import UnitOfWork

from matching.usecases import runs
from matching.config import default_policy
from matching.models import Proposal
from tests.helpers import offer, refer


def test_concurrent_runs_never_double_book(client, tokens, db, run_concurrently):
    if not db.is_postgres:
        pytest.skip("row locks are only real on PostgreSQL")
    for n in range(6):
        offer(client, tokens, unit_ref=f"WE-{n}")
        refer(client, tokens)
    def one_run(_):
        with UnitOfWork(db, "matching", actor="staff-test", actor_role="staff") as unit:
            run = runs.run_matching(unit, default_policy())
            unit.commit()
            return run.proposals_created

    results = run_concurrently(one_run, 2)
    assert sorted(results) == [0, 6]
    with db.session() as s:
        per_flat = s.execute(select(Proposal.flat_id, func.count()).group_by(Proposal.flat_id)).all()
        per_household = s.execute(select(Proposal.household_id, func.count()).group_by(Proposal.household_id)).all()
    assert len(per_flat) == 6 and all(n == 1 for _, n in per_flat)
    assert all(n == 1 for _, n in per_household)
