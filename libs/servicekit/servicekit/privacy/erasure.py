"""Retention and erasure: what every service does when a household's data must go.

The household-wide protocol (one request, all four services, same household):

1. matching publishes `matching.household.erasure_requested` {household_id, request_id, reason}
   — reason `request` (Art. 17, asked for by the data protection officer) or `retention` (the
   referral's retention period ran out). matching erases its own data in that same transaction.
2. every service that holds data about households handles it: it erases or pseudonymises its
   rows (`erase(obj)`), drops the household from its sent outbox and audit details
   (`forget_traces`), and publishes `<service>.household.erased` {household_id, request_id,
   status} with status `erased`, or `postponed` with a `hold` (e.g. `open_claim`) when a legal
   hold keeps it back; it erases later, when the hold ends, and then publishes `erased`.
3. matching records each service's answer, so the officer can see where the erasure stands.

Besides that, each service's own retention job erases what is due by its own periods
(`retention_days`), e.g. a support case three years after it closed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Iterable

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from servicekit.db.tables import audit_log, outbox
from servicekit.db.uow import write_pending
from servicekit.privacy.classification import Category, erased_values
from servicekit.settings import Settings

ERASURE_REQUESTED = "matching.household.erasure_requested"


def erased_event(service: str) -> str:
    return f"{service}.household.erased"


def erase(obj: Any, only: Iterable[Category] | None = None) -> None:
    """Replace an ORM object's personal fields (all, or only some categories) by their erased values."""
    for name, value in erased_values(obj.__table__, set(only) if only else None).items():
        setattr(obj, obj.__mapper__.get_property_by_column(obj.__table__.c[name]).key, value)


def forget_traces(session: Session, household_id: str, entity_ids: Iterable[str] = ()) -> None:
    """Remove the household from the kit's own records: published outbox rows that mention it
    (event payloads such as the tenancy's name and contact) and the details of its entities' audit
    rows. The audit rows themselves stay: who changed what, when, is kept without the person."""
    write_pending(session)  # this transaction's own audit entries are scrubbed too
    session.execute(
        delete(outbox).where(outbox.c.published_at.is_not(None), outbox.c.body.contains(household_id))
    )
    ids = [str(i) for i in {household_id, *entity_ids}]
    session.execute(update(audit_log).where(audit_log.c.entity_id.in_(ids)).values(detail=None))


def prune_outbox(session: Session, older_than: datetime) -> int:
    """Published outbox rows older than the cut-off are no longer needed (the broker confirmed them)."""
    result = session.execute(delete(outbox).where(outbox.c.published_at < older_than))
    return result.rowcount or 0


def prune_published_outbox(ctx) -> None:
    """Kit job of every worker: published events leave the outbox after
    RETENTION_PUBLISHED_EVENTS_DAYS (default 30), so event payloads with personal data do not
    outlive their delivery by more than that."""
    with ctx.uow() as unit:
        prune_outbox(unit.session, ctx.now() - retention_days(ctx.settings, "published_events", 30))
        unit.commit()


def retention_days(settings: Settings, name: str, default: int) -> timedelta:
    """A retention period from configuration: `RETENTION_<NAME>_DAYS`, e.g. RETENTION_CASE_CLOSED_DAYS."""
    return timedelta(days=int(settings.get(f"RETENTION_{name.upper()}_DAYS", str(default))))
