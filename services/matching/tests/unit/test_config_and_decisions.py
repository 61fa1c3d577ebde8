import json
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from matching.config import load_policy
from servicekit.errors import RuleViolation, StateConflict

from matching.domain import decisions, explain, flat as flats
from matching.domain.lifecycle import check
from matching.domain.deadlines import is_overdue, respond_by
from matching.domain.policy import PolicyError
from tests.unit.factories import POLICY, TODAY, flat, household, tables

# The program's public facts (DESIGN.md's data/stuttgart.json) lie beside the repository in shared/.
REPO = Path(__file__).resolve().parents[4]
STUTTGART = REPO.parent / "shared" / "data" / "stuttgart.json"


@pytest.mark.skipif(not STUTTGART.exists(), reason="shared data not present")
def test_rent_limits_are_the_city_table():
    data = json.loads(STUTTGART.read_text(encoding="utf-8"))["rent_limits"]
    for row in data["by_household_size"]:
        assert POLICY.sizes.rent_limit_cents(row["persons"]) == row["max_cold_rent_cents"]
    assert len(POLICY.districts) == 23


def test_override_dir_replaces_a_file(tmp_path, monkeypatch):
    cfg = json.loads((Path(__file__).parents[2] / "matching/config/matching.json").read_text(encoding="utf-8"))
    cfg["weights"]["urgency"] = 80
    (tmp_path / "matching.json").write_text(json.dumps(cfg), encoding="utf-8")
    monkeypatch.setenv("MATCHING_CONFIG_DIR", str(tmp_path))
    assert load_policy().weights.urgency == 80


def test_broken_config_is_refused_at_start_up(tmp_path, monkeypatch):
    cfg = json.loads((Path(__file__).parents[2] / "matching/config/matching.json").read_text(encoding="utf-8"))
    cfg["decline_reasons"]["company"][0]["flat"] = "burn"
    (tmp_path / "matching.json").write_text(json.dumps(cfg), encoding="utf-8")
    monkeypatch.setenv("MATCHING_CONFIG_DIR", str(tmp_path))
    with pytest.raises(PolicyError):
        load_policy()


def test_deadline_skips_easter_holidays():
    # Thursday 2 April 2026; Good Friday and Easter Monday are holidays in Baden-Württemberg.
    made = datetime(2026, 4, 2, 9, 0, tzinfo=timezone.utc)
    assert respond_by(made, 5) == date(2026, 4, 13)


def test_deadline_uses_the_berlin_day():
    # 23:30 UTC on Thursday is already Friday in Stuttgart: one working day later is Monday.
    made = datetime(2026, 3, 5, 23, 30, tzinfo=timezone.utc)
    assert respond_by(made, 1) == date(2026, 3, 9)


def test_answer_on_the_deadline_day_still_counts():
    assert not is_overdue(date(2026, 3, 10), datetime(2026, 3, 10, 22, 30, tzinfo=timezone.utc))
    assert is_overdue(date(2026, 3, 10), datetime(2026, 3, 10, 23, 30, tzinfo=timezone.utc))


def test_counted_household_declines_trigger_review_at_threshold():
    n = POLICY.household_declines_before_review
    first = decisions.decline_outcome(POLICY, "household", "location", n - 2)
    last = decisions.decline_outcome(POLICY, "household", "location", n - 1)
    assert not first.needs_review and last.needs_review and last.counted_declines == n
    assert last.household_state == "waiting" and last.flat_state == "offered"


def test_decline_that_does_not_count_never_triggers_review():
    out = decisions.decline_outcome(POLICY, "household", "condition_of_flat", 99)
    assert not out.needs_review and out.counted_declines == 99


def test_company_decline_for_flat_gone_withdraws_the_flat():
    out = decisions.decline_outcome(POLICY, "company", "flat_no_longer_available", 0)
    assert out.flat_state == "withdrawn" and out.household_state == "waiting"


def test_household_found_housing_elsewhere_is_withdrawn():
    assert decisions.decline_outcome(POLICY, "household", "found_housing_elsewhere", 0).household_state == "withdrawn"


def test_unknown_reason_is_refused():
    with pytest.raises(RuleViolation) as refused:
        decisions.decline_outcome(POLICY, "company", "location", 0)
    assert refused.value.field == "reason"


def test_lease_rules():
    ok = decisions.LeaseTerms(True, False, False, 52_500, 10_000, 8_000)
    assert decisions.lease_problems(ok, 52_500) == {}
    bad = decisions.LeaseTerms(False, True, True, 52_501, -1, 0)
    assert set(decisions.lease_problems(bad, 52_500)) == {
        "unlimited", "graduated_rent", "index_linked_rent", "cold_rent_cents", "service_charges_cents",
    }


def test_transitions():
    check(flats.TRANSITIONS, "offered", "reserved", "flat")
    with pytest.raises(StateConflict) as refused:
        check(flats.TRANSITIONS, "let", "offered", "flat")
    assert refused.value.code == "flat.invalid_transition"


def test_why_not_lists_eligible_flats_first_and_the_excluding_rule_for_others():
    hs = [household(has_pets=True)]
    fs = [flat(id="cheap-no-pets"), flat(id="ok", pets_allowed=True), flat(id="dear", pets_allowed=True, cold_rent_cents=60_000)]
    H, F = tables(hs, fs)
    verdicts = explain.for_household(H, 0, F, POLICY, TODAY)
    assert [v.other_id for v in verdicts] == ["ok", "cheap-no-pets", "dear"]
    assert verdicts[0].eligible and verdicts[0].score is not None
    assert [r.rule for r in verdicts[1].failed] == ["pets"]
    assert [r.rule for r in verdicts[2].failed] == ["rent"]
    by_flat = explain.for_flat(H, F, 0, POLICY, TODAY)
    assert not by_flat[0].eligible and by_flat[0].other_id == "h1"
