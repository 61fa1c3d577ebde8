"""Support's program facts live in its configuration files (one loader: servicekit's ConfigFiles),
and a deployment's copy in SUPPORT_CONFIG_DIR replaces the shipped file."""

import json
import uuid

import pytest
from sqlalchemy import select

from support import config
from support.models import Crisis, SupportCase
from support_testing import MONDAY, deliver, register, tenancy


@pytest.fixture
def deployment_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("SUPPORT_CONFIG_DIR", str(tmp_path))
    caches = (config.crisis_claim_kinds, config.load_crisis, config.horizon, config.load_scheduling)
    for cached in caches:
        cached.cache_clear()
    yield tmp_path
    monkeypatch.delenv("SUPPORT_CONFIG_DIR")
    for cached in caches:
        cached.cache_clear()


def test_every_file_says_what_it_holds_and_where_its_figures_come_from():
    for name in ("support_plan.json", "scheduling.json", "crisis.json", "assignment.json", "caseload.json"):
        assert config.FILES.read(name)["_about"], name
    for name in ("scheduling.json", "crisis.json", "caseload.json"):
        sources = config.FILES.read(name)["_source"]
        assert set(sources) <= set(config.FILES.facts(name)), name
    assert config.crisis_claim_kinds() == {"rent_arrears"}
    assert config.horizon().weeks == 8 and config.caseload().max_cases == 30


def test_which_claims_open_a_crisis_is_read_from_the_crisis_file(client, tokens, db, clock, deployment_dir):
    shipped = config.FILES.read("crisis.json")
    (deployment_dir / "crisis.json").write_text(json.dumps({**shipped, "claim_kinds": ["rent_arrears", "damage"]}))
    clock.freeze(MONDAY)
    register(client, tokens)
    data = tenancy()
    deliver(db, clock, "matching.tenancy.agreed", data)
    deliver(db, clock, "contracts.claim.submitted", {"claim_id": str(uuid.uuid4()), "household_id": data["household_id"],
                                                     "proposal_id": data["proposal_id"], "kind": "damage",
                                                     "amount_cents": 1000})
    with db.session() as s:
        assert [c.trigger for c in s.scalars(select(Crisis))] == ["damage"]
        assert s.scalar(select(SupportCase.at_risk)) is True


def test_a_deployment_file_without_a_needed_fact_is_a_configuration_error(deployment_dir):
    (deployment_dir / "scheduling.json").write_text(json.dumps({"office_hours": {"mon": [["08:00", "12:00"]]}}))
    with pytest.raises(config.ConfigError, match="horizon_weeks"):
        config.horizon()
