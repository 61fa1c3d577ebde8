from datetime import datetime, time, timedelta, timezone

from hypothesis import HealthCheck, given, settings, strategies as st

from servicekit.workdays import BERLIN, is_working_day
from support.config import load_plan
from support.domain.model import Interval
from support.domain.plan import DueVisit
from support.domain.model import Role
from support.domain.scheduler import BusyCalendar, ViolationCode, check_slot, place_visits

from .helpers import OFFICE, berlin, d, local, utc, worker

HOUR = timedelta(hours=1)


def visit(key, due, days=7, minutes=60):
    return DueVisit(key, "p", "home_visit", Role.SOCIAL_WORKER, due, due + timedelta(days=days), minutes)


def place_one(cw, due, days=7, busy=None, now=None):
    now = now or datetime.combine(due - timedelta(days=3), time(9), tzinfo=BERLIN)
    [placement] = place_visits(cw, busy or BusyCalendar(), [visit("v", due, days)], OFFICE, now=now)
    return placement.slot


def test_easter_week_skips_good_friday_and_easter_monday():
    # window Fri 3 Apr – Mon 6 Apr 2026 (both holidays) and a Saturday/Sunday between
    assert place_one(worker(), d(2026, 4, 3), days=4) is None
    slot = place_one(worker(), d(2026, 4, 3), days=5)
    assert local(slot.start).date() == d(2026, 4, 7)


def test_christmas_and_corpus_christi_are_never_booked():
    busy = BusyCalendar()
    cw = worker()
    now = berlin(2026, 12, 1, 9)
    visits = [visit(f"x{i}", d(2026, 12, 21)) for i in range(12)]
    days = {local(p.slot.start).date() for p in place_visits(cw, busy, visits, OFFICE, now=now)}
    assert d(2026, 12, 25) not in days and d(2026, 12, 24) in days  # 24th is a normal working day in BW
    visits = [visit(f"y{i}", d(2026, 6, 1)) for i in range(12)]
    days = {local(p.slot.start).date() for p in place_visits(cw, busy, visits, OFFICE, now=berlin(2026, 5, 20, 9))}
    assert d(2026, 6, 4) not in days and days <= {d(2026, 6, n) for n in (1, 2, 3, 5)}


def test_dst_monday_is_booked_at_local_office_time_and_stored_in_utc():
    slot = place_one(worker(), d(2026, 3, 30), days=1, now=berlin(2026, 3, 27, 12))
    assert slot.start == utc(2026, 3, 30, 6) and local(slot.start).time() == time(8)
    slot = place_one(worker(), d(2026, 10, 26), days=1, now=berlin(2026, 10, 23, 12))
    assert slot.start == utc(2026, 10, 26, 7) and local(slot.start).time() == time(8)


def test_visits_spread_over_the_week_instead_of_piling_on_monday():
    busy = BusyCalendar()
    visits = [visit(f"case{i}", d(2026, 6, 15)) for i in range(5)]  # Mon 15 Jun, no holidays
    placements = place_visits(worker(), busy, visits, OFFICE, now=berlin(2026, 6, 10, 9))
    assert sorted(local(p.slot.start).date() for p in placements) == [d(2026, 6, 15 + n) for n in range(5)]


def test_caseworker_at_weekly_capacity_goes_to_next_week_or_not_at_all():
    cw = worker(weekly_minutes=120)
    busy = BusyCalendar([Interval(berlin(2026, 6, 15, 9), berlin(2026, 6, 15, 11))])
    slot = place_one(cw, d(2026, 6, 15), days=14, busy=busy)
    assert local(slot.start).date() >= d(2026, 6, 22)
    assert place_one(cw, d(2026, 6, 15), days=7, busy=busy) is None


def test_absences_and_part_time_weekdays_are_skipped():
    cw = worker(weekdays=[1, 3], absences=[(d(2026, 6, 16), d(2026, 6, 16))])  # Tue/Thu; away Tue 16th
    slot = place_one(cw, d(2026, 6, 15))
    assert local(slot.start).date() == d(2026, 6, 18)


def test_no_slot_before_now_plus_notice():
    now = berlin(2026, 6, 17, 10, 10)
    [p] = place_visits(worker(), BusyCalendar(), [visit("v", d(2026, 6, 15))], OFFICE, now=now, notice=timedelta(hours=24))
    assert p.slot.start >= now + timedelta(hours=24)


def test_two_cases_opened_at_the_same_moment_do_not_double_book():
    cw = worker()
    busy = BusyCalendar()
    plan = load_plan()
    now = berlin(2026, 3, 2, 9)
    first = plan.due_visits(d(2026, 3, 2), d(2026, 3, 2), d(2026, 4, 27))
    second = [DueVisit("b-" + v.key, *list(v.__dict__.values())[1:]) for v in first]
    slots = [p.slot for p in place_visits(cw, busy, first + second, OFFICE, now=now)]
    assert all(slots)
    assert not any(a.overlaps(b) for i, a in enumerate(slots) for b in slots[i + 1:])


def test_check_slot_names_every_broken_rule():
    cw = worker(absences=[(d(2026, 6, 19), d(2026, 6, 19))])
    busy = BusyCalendar([Interval(berlin(2026, 6, 16, 9), berlin(2026, 6, 16, 10))])
    now = berlin(2026, 6, 2, 9)

    def codes(start, minutes=60, at=now):
        return {v.code for v in check_slot(cw, Interval(start, start + timedelta(minutes=minutes)), busy, OFFICE, at)}

    assert codes(berlin(2026, 6, 16, 10)) == set()
    assert codes(berlin(2026, 6, 16, 9, 30)) == {ViolationCode.OVERLAP}
    assert codes(berlin(2026, 6, 16, 18)) == {ViolationCode.OUTSIDE_OFFICE_HOURS}
    assert codes(berlin(2026, 6, 4, 9)) == {ViolationCode.NOT_WORKING_DAY}  # Corpus Christi
    assert codes(berlin(2026, 6, 19, 9)) == {ViolationCode.ABSENT}
    assert codes(berlin(2026, 6, 2, 8)) == {ViolationCode.IN_PAST}
    assert ViolationCode.WEEKLY_CAPACITY in codes(berlin(2026, 6, 17, 8), minutes=21 * 60)


# --- properties -------------------------------------------------------------------------------

OPEN = {wd: [(a, b) for a, b in blocks] for wd, blocks in OFFICE.blocks.items()}


def inside_office_hours(slot: Interval) -> bool:
    start, end = local(slot.start), local(slot.end)
    return start.date() == end.date() and any(
        a <= start.time() and end.time() <= b for a, b in OPEN.get(start.weekday(), [])
    )


existing = st.lists(
    st.tuples(st.integers(0, 60 * 24 * 70), st.integers(15, 240)), max_size=40
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    busy_raw=existing,
    weekdays=st.sets(st.integers(0, 4), min_size=1),
    absence=st.one_of(st.none(), st.tuples(st.integers(0, 60), st.integers(0, 14))),
    start_offset=st.integers(0, 60),
    requests=st.lists(st.tuples(st.integers(0, 50), st.integers(1, 21), st.sampled_from([30, 45, 60, 90])), min_size=1, max_size=15),
    now_minutes=st.integers(0, 60 * 24 * 7),
)
def test_placed_slots_never_overlap_and_are_on_working_days_in_office_hours(
    busy_raw, weekdays, absence, start_offset, requests, now_minutes
):
    # spans both 2026 DST changes and Easter/Pentecost/Christmas by choice of base dates
    base = d(2026, 3, 9) if start_offset % 2 else d(2026, 10, 5)
    if start_offset % 3 == 0:
        base = d(2026, 12, 7)
    origin = datetime.combine(base, time(0), tzinfo=timezone.utc)
    absences = [] if absence is None else [(base + timedelta(days=absence[0]), base + timedelta(days=absence[0] + absence[1]))]
    cw = worker(weekdays=weekdays, absences=absences, weekly_minutes=10 * 60)
    taken = [Interval(origin + timedelta(minutes=m), origin + timedelta(minutes=m + n)) for m, n in busy_raw]
    busy = BusyCalendar(taken)
    now = origin + timedelta(minutes=now_minutes)
    visits = [visit(f"v{i}", base + timedelta(days=off), days=span, minutes=mins) for i, (off, span, mins) in enumerate(requests)]
    placed = [p.slot for p in place_visits(cw, busy, visits, OFFICE, now=now) if p.slot]
    for i, slot in enumerate(placed):
        day = local(slot.start).date()
        assert slot.start >= now
        assert is_working_day(day) and day.weekday() in weekdays
        assert not cw.is_absent_on(day)
        assert inside_office_hours(slot)
        assert not any(slot.overlaps(t) for t in taken)
        assert not any(slot.overlaps(o) for o in placed[i + 1:])
    for v, p in zip(sorted(visits, key=lambda v: (v.due, v.key)), place_visits(cw, BusyCalendar(), visits, OFFICE, now=now)):
        if p.slot:
            assert v.due <= local(p.slot.start).date() < v.window_end
