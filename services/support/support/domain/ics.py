"""iCalendar feed of one caseworker's appointments (RFC 5545, via the `icalendar` library).

Data minimisation: a calendar feed ends up on phones and in third-party calendar clouds, so an
event carries only what the caseworker needs to show up — the kind of appointment and the case
reference. No household name, address, situation or outcome.

UIDs are derived from the appointment id, so a client updates an event in place when it is
rescheduled (SEQUENCE goes up) and removes it when it is cancelled (STATUS:CANCELLED).
Times are written in UTC; clients show them in the user's zone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone

import icalendar

PRODID = "-//Landeshauptstadt Stuttgart//WohnenPlus support//DE"
UID_DOMAIN = "support.wohnenplus.stuttgart.de"

KIND_LABELS = {
    "home_visit": "Hausbesuch",
    "office_meeting": "Gespräch im Büro",
    "phone_call": "Telefontermin",
    "crisis": "Krisentermin",
    "first_visit": "Erstbesuch",
}

_STATUS = {"scheduled": "CONFIRMED", "completed": "CONFIRMED", "missed": "CONFIRMED", "cancelled": "CANCELLED"}


@dataclass(frozen=True)
class CalendarEntry:
    appointment_id: str
    case_reference: str
    kind: str
    starts_at: datetime
    ends_at: datetime
    status: str  # scheduled | completed | missed | cancelled
    sequence: int = 0  # bumped on every reschedule
    updated_at: datetime | None = None


def uid_for(appointment_id: str) -> str:
    return f"{appointment_id}@{UID_DOMAIN}"


def render_calendar(calendar_name: str, entries: Iterable[CalendarEntry], generated_at: datetime) -> bytes:
    """The feed as bytes (text/calendar; charset=utf-8). `generated_at` is DTSTAMP for entries
    without an update time, so two renders of unchanged data are identical when it is fixed."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", calendar_name)
    cal.add("x-wr-timezone", "Europe/Berlin")
    for entry in sorted(entries, key=lambda e: (e.starts_at, e.appointment_id)):
        label = KIND_LABELS.get(entry.kind, entry.kind)
        event = icalendar.Event()
        event.add("uid", uid_for(entry.appointment_id))
        event.add("dtstamp", (entry.updated_at or generated_at).astimezone(timezone.utc))
        event.add("dtstart", entry.starts_at.astimezone(timezone.utc))
        event.add("dtend", entry.ends_at.astimezone(timezone.utc))
        event.add("summary", f"{label} – Fall {entry.case_reference}")
        event.add("categories", [label])
        event.add("status", _STATUS.get(entry.status, "TENTATIVE"))
        event.add("sequence", entry.sequence)
        event.add("transp", "TRANSPARENT" if entry.status == "cancelled" else "OPAQUE")
        cal.add_component(event)
    return cal.to_ical()
