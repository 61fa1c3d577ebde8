from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, strategies as st

from servicekit.workdays import BERLIN, is_working_day, working_days_between

from support.domain.crisis import CrisisPolicy, SlaState, crisis_deadline, place_crisis, sla_state
from support.domain.errors import ConfigError
from support.domain.model import Interval
from support.domain.scheduler import BusyCalendar

from .helpers import OFFICE, berlin, d, local, worker

POLICY = CrisisPolicy()


def NOBODY_BUSY(caseworker_id):
    return BusyCalendar()


def test_deadline_across_a_weekend():
    # Friday afternoon: Monday and Tuesday are the two working days; Tuesday closes at 17:00
    assert crisis_deadline(berlin(2026, 6, 12, 15), POLICY, OFFICE) == berlin(2026, 6, 16, 17)


def test_deadline_across_easter_weekend_and_holidays():
    # Maundy Thursday 2 Apr 2026: Good Friday, the weekend and Easter Monday do not count
    assert crisis_deadline(berlin(2026, 4, 2, 11), POLICY, OFFICE) == berlin(2026, 4, 8, 17)


def test_deadline_across_ascension_day_uses_that_days_office_hours():
    # Wed 13 May; Thu 14 is Ascension; Fri 15 (closes 13:00 on Fridays) is day 1, Mon 18 is day 2
    assert crisis_deadline(berlin(2026, 5, 13, 9), CrisisPolicy(working_days=1), OFFICE) == berlin(2026, 5, 15, 13)
    assert crisis_deadline(berlin(2026, 5, 13, 9), POLICY, OFFICE) == berlin(2026, 5, 18, 17)


def test_report_at_night_before_a_dst_weekend():
    # reported late Friday 27 Mar 2026 (UTC still Friday); deadline Tuesday 31 Mar 17:00 CEST
    deadline = crisis_deadline(berlin(2026, 3, 27, 23, 30), POLICY, OFFICE)
    assert deadline == berlin(2026, 3, 31, 17)
    assert deadline.utcoffset() == timedelta(0) and deadline.hour == 15  # stored in UTC, CEST


def test_crisis_goes_to_the_contact_person_as_early_as_possible():
    contact = worker("cw-contact")
    now = berlin(2026, 6, 12, 15)
    placed = place_crisis(contact, [worker("cw-sub")], NOBODY_BUSY, now, now, POLICY, OFFICE)
    assert placed.caseworker_id == "cw-contact" and not placed.substitute
    assert placed.slot.start == berlin(2026, 6, 15, 8)  # Monday morning, not Saturday


def test_substitute_when_contact_person_is_absent_until_after_the_deadline():
    contact = worker("cw-contact", absences=[(d(2026, 3, 30), d(2026, 4, 17))])
    subs = [worker("cw-sub1", absences=[(d(2026, 4, 1), d(2026, 4, 10))]), worker("cw-sub2")]
    reported = berlin(2026, 4, 2, 11)  # before Easter
    placed = place_crisis(contact, subs, NOBODY_BUSY, reported, reported, POLICY, OFFICE)
    assert placed.caseworker_id == "cw-sub2" and placed.substitute
    assert local(placed.slot.start).date() == d(2026, 4, 2)  # same day, one hour notice
    assert placed.slot.end <= crisis_deadline(reported, POLICY, OFFICE)


def test_substitute_when_contact_person_is_fully_booked_and_none_when_nobody_is_free():
    contact = worker("cw-contact")
    reported = berlin(2026, 6, 12, 15)
    deadline = crisis_deadline(reported, POLICY, OFFICE)
    full = BusyCalendar([Interval(berlin(2026, 6, 12, 8), deadline)])
    placed = place_crisis(contact, [worker("cw-sub")], lambda cid: full if cid == "cw-contact" else BusyCalendar(), reported, reported, POLICY, OFFICE)
    assert placed.caseworker_id == "cw-sub"
    assert place_crisis(contact, [], lambda cid: full if cid == "cw-contact" else BusyCalendar(), reported, reported, POLICY, OFFICE) is None


def test_sla_state():
    deadline = berlin(2026, 6, 16, 17)
    assert sla_state(deadline, None, deadline - timedelta(hours=1)) is SlaState.PENDING
    assert sla_state(deadline, None, deadline + timedelta(minutes=1)) is SlaState.BREACHED
    assert sla_state(deadline, deadline - timedelta(hours=1), deadline + timedelta(days=3)) is SlaState.MET
    assert sla_state(deadline, deadline + timedelta(hours=16), deadline - timedelta(days=1)) is SlaState.BREACHED


def test_policy_from_config_and_bad_values():
    assert CrisisPolicy.from_config({"working_days": 3}).working_days == 3
    with pytest.raises(ConfigError):
        CrisisPolicy(working_days=0)


@given(
    reported=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(timezone.utc)),
    days=st.integers(1, 5),
)
def test_deadline_is_the_close_of_the_nth_working_day_after_the_report(reported, days):
    deadline = crisis_deadline(reported, CrisisPolicy(working_days=days), OFFICE)
    local = deadline.astimezone(BERLIN)
    assert is_working_day(local.date())
    assert working_days_between(reported.astimezone(BERLIN).date(), local.date()) == days
    assert local.time() == OFFICE.blocks[local.weekday()][-1][1]  # closing time of that weekday
    assert deadline > reported


def test_crisis_state_machine():
    from support.domain.crisis import CrisisState, close_with_case, decide, reopen

    assert decide(CrisisState.PENDING, SlaState.MET) is CrisisState.MET
    assert decide(CrisisState.PENDING, SlaState.PENDING) is CrisisState.PENDING
    assert decide(CrisisState.BREACHED, SlaState.MET) is CrisisState.BREACHED  # decided once
    assert reopen(CrisisState.MET) is CrisisState.PENDING
    assert reopen(CrisisState.BREACHED) is CrisisState.BREACHED and reopen(CrisisState.CLOSED) is CrisisState.CLOSED
    assert close_with_case(CrisisState.PENDING) is CrisisState.CLOSED
    assert close_with_case(CrisisState.MET) is CrisisState.MET
