"""Erasure and retention of what notifications holds about people (protocol:
servicekit/privacy/erasure.py).

A message loses its contents — subject, texts, webhook body, address, name in the greeting — but
keeps its ids, event type, recipient reference, channel, state, times and attempts: the delivery
statistics need those and they name nobody. A message still waiting for delivery is cancelled,
so an erased text is never sent.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import delete, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from servicekit.db import UnitOfWork
from servicekit.db.memo import per_transaction
from servicekit.privacy import erase, erased_event, forget_traces, retention_days
from servicekit.settings import Settings

from notifications.domain.delivery import DeliveryStatus
from notifications.models import ContactPerson, DirectoryEntry, ErasedHousehold, Notification
from notifications.usecases import directory

ERASED = erased_event("notifications")
RETENTION_BATCH = 200


def lock_household(session: Session, household_id: str, *, exclusive: bool) -> None:
    """A transaction-long lock on the household: writing its messages takes it shared, erasing it
    exclusive. So an event handled while the erasure runs waits, then sees the household erased,
    instead of committing fresh messages the erasure could not see."""
    if session.get_bind().dialect.name != "postgresql":
        return
    key = int.from_bytes(hashlib.blake2b(household_id.encode(), digest_size=8).digest(), "big", signed=True)
    lock = func.pg_advisory_xact_lock if exclusive else func.pg_advisory_xact_lock_shared
    session.execute(select(lock(key)))


def is_erased(session: Session, household_id: str) -> bool:
    return session.get(ErasedHousehold, household_id) is not None


_WRITABLE = "notifications.writable_households"


def _writable_in_transaction(session: Session) -> set[str]:
    """Households this transaction holds the shared lock of and found not erased. The lock lasts
    until the transaction ends, so the answer cannot change meanwhile except by an erasure in this
    very transaction (which forgets it): a consumer batch with a lease's events asks once per
    household, not once per event. Tied to the transaction, so a commit starts afresh."""
    return per_transaction(session, _WRITABLE, set)


def may_write_for(session: Session, household_id: str) -> bool:
    """Lock the household shared and tell whether messages about it may be written (not erased)."""
    writable = _writable_in_transaction(session)
    if household_id in writable:
        return True
    lock_household(session, household_id, exclusive=False)
    if is_erased(session, household_id):
        return False
    writable.add(household_id)
    return True


def erase_contents(note: Notification, now: datetime, why: str) -> None:
    erase(note)
    note.erased_at = note.erased_at or now
    if note.state == DeliveryStatus.PENDING.value:
        note.state, note.next_attempt_at, note.last_error = DeliveryStatus.CANCELLED.value, None, why


def _remember(uow: UnitOfWork, household_id: str, request_id: str | None) -> None:
    values = dict(household_id=household_id, request_id=request_id, erased_at=uow.now())
    if uow.session.get_bind().dialect.name == "postgresql":
        uow.session.execute(pg_insert(ErasedHousehold).values(**values).on_conflict_do_nothing())
    elif uow.session.get(ErasedHousehold, household_id) is None:
        uow.session.add(ErasedHousehold(**values))


def erase_household(uow: UnitOfWork, household_id: str, request_id: str | None) -> int:
    """Every message to or about the household loses its contents; its directory entry and contact
    person go. Answers `notifications.household.erased` in the same unit of work. Idempotent."""
    now = uow.now()
    _writable_in_transaction(uow.session).discard(household_id)
    lock_household(uow.session, household_id, exclusive=True)
    # Locked: a delivery attempt running right now finishes first, and no later run picks these up.
    notes = uow.session.scalars(
        select(Notification)
        .where(or_(Notification.household_id == household_id, Notification.recipient == f"household:{household_id}"))
        .order_by(Notification.id)
        .with_for_update()
    ).all()
    for note in notes:
        erase_contents(note, now, "erased")
    uow.session.execute(delete(DirectoryEntry).where(DirectoryEntry.ref == f"household:{household_id}"))
    directory.forget(uow.session, f"household:{household_id}")
    uow.session.execute(delete(ContactPerson).where(ContactPerson.household_id == household_id))
    _remember(uow, household_id, request_id)
    uow.session.flush()
    forget_traces(uow.session, household_id, [note.id for note in notes])
    uow.audit("household", household_id, "erased", detail={"request_id": request_id, "messages": len(notes)})
    uow.publish(ERASED, {"household_id": household_id, "request_id": request_id, "status": "erased", "hold": None})
    return len(notes)


def apply_retention(uow_factory, now: datetime, settings: Settings) -> int:
    """Messages older than RETENTION_NOTIFICATION_DAYS (default 365) lose their contents, in batches
    of one transaction each, skipping rows a delivery attempt holds."""
    cutoff = now - retention_days(settings, "notification", 365)
    done = 0
    while True:
        with uow_factory() as uow:
            notes = uow.session.scalars(
                select(Notification)
                .where(Notification.erased_at.is_(None), Notification.created_at < cutoff)
                .order_by(Notification.created_at)
                .limit(RETENTION_BATCH)
                .with_for_update(skip_locked=True)
            ).all()
            for note in notes:
                erase_contents(note, now, "retention period over")
            uow.commit()
        done += len(notes)
        if len(notes) < RETENTION_BATCH:
            return done
