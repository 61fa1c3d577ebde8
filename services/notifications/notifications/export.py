"""Everything notifications holds about one household, for the access export (Art. 15 GDPR):
the messages to it and about it (to its company, its contact person, the office's mailboxes) with
their delivery attempts, its directory entry and its contact person."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from notifications.models import ContactPerson, DeliveryAttempt, DirectoryEntry, ErasedHousehold, Notification


def export_household(session: Session, household_id: str) -> dict[str, list]:
    notes = session.scalars(
        select(Notification)
        .where(or_(Notification.household_id == household_id, Notification.recipient == f"household:{household_id}"))
        .order_by(Notification.created_at, Notification.id)
    ).all()
    attempts = session.scalars(
        select(DeliveryAttempt).where(DeliveryAttempt.notification_id.in_([n.id for n in notes]))
        .order_by(DeliveryAttempt.notification_id, DeliveryAttempt.number)
    ).all() if notes else []
    entry = session.get(DirectoryEntry, f"household:{household_id}")
    return {
        "notifications": notes,
        "delivery_attempts": attempts,
        "directory_entries": [entry] if entry else [],
        "contact_persons": session.scalars(
            select(ContactPerson).where(ContactPerson.household_id == household_id)).all(),
        "erased_households": session.scalars(
            select(ErasedHousehold).where(ErasedHousehold.household_id == household_id)).all(),
    }
