"""Handlers of the events notifications consumes, each inside the consumer's unit of work (with inbox)."""

from __future__ import annotations

from servicekit.bus import Event
from servicekit.db import UnitOfWork

from notifications.models import Notification
from notifications.schemas import ReferralEvent

URGENCY_DE = {
    "emergency_accommodation": "Notunterkunft",
    "threatened_homelessness": "drohende Wohnungslosigkeit",
    "inadequate_housing": "unzureichende Wohnverhältnisse",
}


def household_referred(uow: UnitOfWork, event: Event) -> None:
    """Tell the social office's staff inbox that a household is waiting for a flat."""
    data = ReferralEvent().load(event.data)
    urgency = URGENCY_DE.get(data["urgency"], data["urgency"])
    uow.session.add(
        Notification(
            event_id=event.id,
            event_type=event.type,
            recipient="role:staff",
            channel="inbox",
            subject="Neuer Haushalt in der Vermittlung",
            body=f"Ein Haushalt mit {data['size']} Person(en) wartet auf eine Wohnung (Dringlichkeit: {urgency}).",
            state="delivered",
            created_at=uow.now(),
        )
    )
