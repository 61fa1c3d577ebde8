from datetime import timedelta

import icalendar

from support.domain.ics import CalendarEntry, render_calendar, uid_for

from .helpers import berlin, utc

NOW = utc(2026, 3, 20, 12)


def entries():
    return [
        CalendarEntry("a1", "SUP-2026-0007", "home_visit", berlin(2026, 3, 27, 9), berlin(2026, 3, 27, 10), "scheduled"),
        # Monday after the spring DST change: 09:00 local is 07:00 UTC
        CalendarEntry("a2", "SUP-2026-0007", "crisis", berlin(2026, 3, 30, 9), berlin(2026, 3, 30, 10), "scheduled", sequence=2),
        CalendarEntry("a3", "SUP-2026-0011", "home_visit", berlin(2026, 3, 31, 9), berlin(2026, 3, 31, 10), "cancelled"),
    ]


def test_feed_parses_back_with_one_event_per_appointment_in_utc():
    cal = icalendar.Calendar.from_ical(render_calendar("Termine A. Muster", entries(), NOW))
    events = cal.walk("VEVENT")
    assert [str(e["UID"]) for e in events] == [uid_for("a1"), uid_for("a2"), uid_for("a3")]
    starts = [e.decoded("DTSTART") for e in events]
    assert starts[0] == utc(2026, 3, 27, 8) and starts[1] == utc(2026, 3, 30, 7)
    assert all(s.utcoffset() == timedelta(0) for s in starts)
    assert str(events[1]["SUMMARY"]) == "Krisentermin – Fall SUP-2026-0007"
    assert int(events[1]["SEQUENCE"]) == 2
    assert [str(e["STATUS"]) for e in events] == ["CONFIRMED", "CONFIRMED", "CANCELLED"]
    assert str(cal["X-WR-CALNAME"]) == "Termine A. Muster"


def test_uids_and_output_are_stable_between_renders():
    assert render_calendar("x", entries(), NOW) == render_calendar("x", list(reversed(entries())), NOW)


def test_feed_carries_only_kind_reference_and_time():
    cal = icalendar.Calendar.from_ical(render_calendar("x", entries(), NOW))
    allowed = {"UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "CATEGORIES", "STATUS", "SEQUENCE", "TRANSP"}
    for event in cal.walk("VEVENT"):
        assert set(event.keys()) <= allowed
