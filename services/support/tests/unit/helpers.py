from datetime import date, datetime, timezone

from support.domain.model import Absence, Caseworker, Role
from support.domain.office_hours import OfficeHours
from servicekit.workdays import BERLIN

OFFICE = OfficeHours.from_config(
    {
        "office_hours": {
            "mon": [["08:00", "12:00"], ["13:00", "17:00"]],
            "tue": [["08:00", "12:00"], ["13:00", "17:00"]],
            "wed": [["08:00", "12:00"], ["13:00", "17:00"]],
            "thu": [["08:00", "12:00"], ["13:00", "18:00"]],
            "fri": [["08:00", "13:00"]],
        },
        "slot_minutes": 30,
    }
)

BOTH = frozenset({Role.CONTACT_PERSON, Role.SOCIAL_WORKER})


def worker(id="cw-a", roles=BOTH, max_cases=30, weekly_minutes=20 * 60, weekdays=range(5), districts=(), absences=()):
    return Caseworker(
        id=id,
        roles=frozenset(roles),
        max_cases=max_cases,
        weekly_minutes=weekly_minutes,
        working_weekdays=frozenset(weekdays),
        districts=frozenset(districts),
        absences=tuple(Absence(a, b) for a, b in absences),
    )


def berlin(y, m, d, hh=0, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=BERLIN)


def utc(y, m, d, hh=0, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=timezone.utc)


def local(instant: datetime) -> datetime:
    return instant.astimezone(BERLIN)


def d(y, m, dd) -> date:
    return date(y, m, dd)
