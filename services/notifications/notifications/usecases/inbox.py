"""The caller's own messages: their company's, their own (caseworker) or their team mailbox's."""

from __future__ import annotations

from sqlalchemy import Select, select

from servicekit.db import UnitOfWork
from servicekit.errors import UnknownObject

from notifications.domain.catalogue import Channel, Role
from notifications.models import Notification

#: Principal role -> the shared mailbox whose inbox it reads.
_MAILBOX_OF_ROLE = (("staff", Role.STAFF), ("finance", Role.FINANCE), ("admin", Role.OPERATORS))


def inbox_recipients(principal) -> list[str]:
    """Whose inbox the caller reads: their company's, their own (caseworker), or their team mailbox."""
    refs: list[str] = []
    if principal.is_company and principal.company_id:
        refs.append(f"company:{principal.company_id}")
    if "caseworker" in principal.roles:
        refs.append(f"caseworker:{principal.sub}")
    for role, mailbox in _MAILBOX_OF_ROLE:
        if role in principal.roles:
            refs.append(f"mailbox:{mailbox.value}")
    return refs


def messages(principal) -> Select:
    """The caller's inbox messages (a query to filter, order and page further)."""
    return select(Notification).where(
        Notification.channel == Channel.INBOX.value,
        Notification.recipient.in_(inbox_recipients(principal)),
    )


def mark_read(uow: UnitOfWork, principal, notification_id: str) -> Notification:
    """Mark one of the caller's messages read; reading it again changes nothing."""
    note = uow.session.scalars(messages(principal).where(Notification.id == notification_id)).first()
    if note is None:
        raise UnknownObject("inbox.unknown_message", "No message with this id in your inbox.")
    if note.read_at is None:
        note.read_at = uow.now()
    return note
