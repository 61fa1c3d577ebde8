"""Unit of work: one transaction in which state changes, their events and their audit entries commit
together (the transactional outbox), or none of them do.

Events and audit entries are collected and written at commit, after the state changes are flushed:
one multi-row INSERT per table instead of one statement each (a lease's handler writes several of
both). A constraint that fails at the flush aborts the commit before any of them is written, so an
event never outlives the change it reports. Kit code that reads or changes those tables inside an
open unit of work calls `write_pending(session)` first (the erasure does).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from servicekit.bus.envelope import Event
from servicekit.clock import Clock, SystemClock
from servicekit.db.database import Database
from servicekit.db.tables import audit_log, outbox

if TYPE_CHECKING:
    from servicekit.domain import DomainEvent, RecordsEvents

_PENDING = "servicekit.pending_rows"  # session.info key: {table: [row, ...]} not written yet


def write_pending(session: Session) -> None:
    """Write the outbox and audit rows the session's unit of work collected, one statement per table.
    RETURNING makes SQLAlchemy send them as one multi-row INSERT from a cached compiled form."""
    for table, rows in session.info.get(_PENDING, {}).items():
        if rows:
            session.execute(insert(table).returning(table.c.id), rows)
            rows.clear()


def _collect(session: Session, table: Table, row: dict[str, Any]) -> None:
    session.info.setdefault(_PENDING, {}).setdefault(table, []).append(row)


class UnitOfWork:
    """`with UnitOfWork(db, "matching", actor=...) as uow: ...; uow.commit()`

    Nothing is written unless `commit()` is called; leaving the block rolls back whatever is left.
    A `read_only` unit reads without a transaction of its own (see `Database.read_sessions`) and
    refuses to publish, audit or commit, so a read that starts writing fails in its first test.
    """

    def __init__(
        self,
        db: Database,
        source: str,
        *,
        correlation_id: str | None = None,
        actor: str = "system",
        actor_role: str = "system",
        clock: Clock | None = None,
        on_commit: Callable[[], None] | None = None,
        read_only: bool = False,
    ) -> None:
        self.db = db
        self.source = source
        self.correlation_id = correlation_id or str(uuid.uuid4())
        self.actor = actor
        self.actor_role = actor_role
        self.clock = clock or SystemClock()
        self.on_commit = on_commit
        self.read_only = read_only
        self.session: Session

    def __enter__(self) -> "UnitOfWork":
        self.session = self.db.session(read_only=self.read_only)
        return self

    def _writable(self) -> None:
        if self.read_only:
            raise RuntimeError("a read-only unit of work cannot write: open it without read_only")

    def __exit__(self, *exc: object) -> None:
        # Detach what was loaded before rolling back, so views can still serialise the objects they
        # return (a rollback would expire them). Lazy relationships must be loaded inside the block.
        self.session.info.pop(_PENDING, None)
        self.session.expunge_all()
        self.session.rollback()
        self.session.close()

    def now(self) -> datetime:
        """The unit of work's clock: injectable, so rules and jobs can be tested at any date."""
        return self.clock.now()

    def publish(self, event_type: str, data: dict[str, Any], *, occurred_at: datetime | None = None,
                version: int = 1, published_versions: tuple[int, ...] = ()) -> Event:
        """Record an event in the outbox; the relay publishes it after this transaction commits."""
        self._writable()
        event = Event(
            type=event_type,
            data=data,
            source=self.source,
            correlation_id=self.correlation_id,
            occurred_at=occurred_at or datetime.now(timezone.utc),
            version=version,
            published_versions=published_versions,
        )
        _collect(self.session, outbox, dict(
            id=event.id,
            type=event.type,
            correlation_id=event.correlation_id,
            body=event.to_json(),
            created_at=datetime.now(timezone.utc),
            attempts=0,
        ))
        return event

    def publish_recorded(self, *aggregates: RecordsEvents) -> None:
        """Put what each aggregate recorded into the outbox, in order, and clear its list (so a
        second call in the same unit of work publishes nothing twice)."""
        for aggregate in aggregates:
            self.publish_events(*aggregate.events)
            aggregate.events.clear()

    def publish_events(self, *events: DomainEvent) -> None:
        """Put domain events into the outbox, in order (where the domain builds events without an
        aggregate holding them)."""
        for event in events:
            self.publish(event.type, event.data)

    def publish_versions(self, event_type: str, by_version: dict[int, dict[str, Any]], *,
                         occurred_at: datetime | None = None) -> list[Event]:
        """One fact in several versions of its event, for the transition after an incompatible
        change: one message per version, each naming all of them, so that every consumer acts on
        exactly one (the newest it reads; see servicekit.service.VersionedHandler)."""
        at = occurred_at or datetime.now(timezone.utc)
        versions = tuple(sorted(by_version))
        return [self.publish(event_type, by_version[v], occurred_at=at, version=v, published_versions=versions)
                for v in versions]

    def audit(
        self,
        entity: str,
        entity_id: Any,
        action: str,
        *,
        from_state: str | None = None,
        to_state: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Append to the audit trail: who did what to which entity, in this same transaction."""
        self._writable()
        _collect(self.session, audit_log, dict(
            at=datetime.now(timezone.utc),
            actor=self.actor,
            actor_role=self.actor_role,
            entity=entity,
            entity_id=str(entity_id),
            action=action,
            from_state=from_state,
            to_state=to_state,
            detail=detail,
            correlation_id=self.correlation_id,
        ))

    def commit(self) -> None:
        self._writable()
        self.session.flush()  # the state changes first: a failing constraint stops the events too
        write_pending(self.session)
        self.session.commit()
        if self.on_commit is not None:
            self.on_commit()

    def rollback(self) -> None:
        self.session.info.pop(_PENDING, None)
        self.session.rollback()
