from datetime import date, timedelta

import pytest
from hypothesis import given, strategies as st

from support.config import load_plan
from support.domain.errors import ConfigError
from support.domain.model import Role
from support.domain.plan import SupportPlan

PLAN = load_plan()
START = date(2026, 3, 1)


def visits_between(start, end):
    return PLAN.due_visits(START, start, end)


def test_first_eight_weeks_are_weekly_home_visits_with_the_social_worker():
    visits = visits_between(START, START + timedelta(weeks=8))
    assert [v.due for v in visits] == [START + timedelta(weeks=k) for k in range(8)]
    assert {v.kind for v in visits} == {"home_visit"}
    assert {v.role for v in visits} == {Role.SOCIAL_WORKER}
    assert all(v.window_end - v.due == timedelta(weeks=1) for v in visits)


def test_cadence_thins_out_over_five_years():
    visits = visits_between(START, date(2032, 1, 1))
    per_phase = {}
    for v in visits:
        per_phase.setdefault(v.phase, []).append(v)
    gaps = {name: {(b.due - a.due).days for a, b in zip(vs, vs[1:])} for name, vs in per_phase.items()}
    assert gaps["intensive"] == {7}
    assert gaps["stabilising"] == {14}
    assert gaps["consolidating"] <= {28, 29, 30, 31}
    assert gaps["independence"] <= set(range(89, 93))
    assert len(per_phase["independence"]) == 12  # quarterly for 36 months
    assert max(v.due for v in visits) < date(2031, 3, 1)  # nothing after the five years


def test_month_end_start_does_not_drift():
    plan_start = date(2026, 1, 31)
    year_two = [v for v in PLAN.due_visits(plan_start, date(2027, 1, 1), date(2027, 7, 1)) if v.phase == "consolidating"]
    assert [v.due for v in year_two][:3] == [date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31)]


def test_last_window_is_cut_at_phase_end():
    visits = [v for v in visits_between(START, date(2026, 7, 1)) if v.phase == "intensive"]
    assert visits[-1].window_end == date(2026, 6, 1)


@given(offset=st.integers(0, 5 * 365), weeks=st.integers(1, 12))
def test_rolling_horizons_give_the_same_keys_and_dates(offset, weeks):
    """Running the job again tomorrow must find the same visits, never renamed or moved."""
    everything = {v.key: v for v in visits_between(START, date(2032, 1, 1))}
    today = START + timedelta(days=offset)
    for v in visits_between(today, today + timedelta(weeks=weeks)):
        assert everything[v.key] == v
        assert v.window_end > today and v.due < today + timedelta(weeks=weeks)


@pytest.mark.parametrize(
    "phases",
    [
        [],
        [{"name": "a", "from_month": 1, "to_month": 3, "every": {"weeks": 1}}],
        [{"name": "a", "from_month": 0, "to_month": 3, "every": {"weeks": 1}},
         {"name": "b", "from_month": 4, "to_month": 6, "every": {"weeks": 1}}],
        [{"name": "a", "from_month": 0, "to_month": 3, "every": {"weeks": 1, "months": 1}}],
        [{"name": "a", "from_month": 0, "to_month": 3, "every": {"weeks": 0}}],
        [{"name": "a", "from_month": 0, "to_month": 3, "every": {"weeks": 1}, "role": "boss"}],
        [{"name": "a", "from_month": 0, "to_month": 3}],
    ],
)
def test_invalid_plans_are_refused(phases):
    with pytest.raises(ConfigError):
        SupportPlan.from_config({"phases": phases})
