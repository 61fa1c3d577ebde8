"""The access log: who received which household's personal data, when, for which purpose, through
which operation.

A read is declared where the data leaves, not in each view: a response schema that names the
household its objects concern (`PurposeBoundSchema.household_key`) notes every object it hands to a
person, and a view whose answer is not a schema (a PDF, a document) calls `record_access(ids)`.
Noting writes nothing. Once the response is built, the web layer's after-request hook
(`servicekit.web.reads`) calls `write_noted_reads`, which writes every noted read in one statement of
its own (one INSERT, one round trip on PostgreSQL), after the view's unit of work has closed and
before a byte of the response is sent: so an answered read is always a logged read, and the write
never waits on the request's own transaction (on SQLite that is one writer at a time). If the log
cannot be written, `write_noted_reads` raises and the data does not leave. A connection the server
dropped is retried once, on a new one.
"""

from __future__ import annotations

from typing import Iterable

import structlog
from flask import Response, current_app, g, request
from sqlalchemy import insert
from sqlalchemy.exc import DBAPIError

from servicekit.db.tables import access_log

log = structlog.get_logger("servicekit.privacy")

# Why each role reads a household's data; a view may name a narrower purpose.
PURPOSES = {
    "company": "tenancy_management",
    "staff": "referral_and_placement",
    "caseworker": "social_support",
    "finance": "guarantee_claims",
    "admin": "administration",
    "dpo": "data_protection",
}


def record_access(household_ids: Iterable[str | None], purpose: str | None = None) -> None:
    """Note that the calling person is about to receive these households' personal data."""
    noted: dict[str, str | None] = g.setdefault("noted_reads", {})
    for household_id in household_ids:
        if household_id:
            noted.setdefault(str(household_id), purpose)


def write_noted_reads(response: Response) -> None:
    """Log what the response hands out; raises if the log cannot be written."""
    noted: dict[str, str | None] = g.pop("noted_reads", {})
    if not noted or response.status_code >= 400:
        return  # an error answer hands out nobody's data
    rows = log_rows(noted)
    try:
        _insert_once_retried(current_app.extensions["servicekit"].db.autocommit_engine, rows)
    except Exception as exc:
        log.error("privacy.access_log_unwritten", error=type(exc).__name__, reads=len(rows))
        raise


def _insert_once_retried(engine, rows: list[dict]) -> None:
    for attempt in (1, 2):
        try:
            with engine.begin() as conn:
                # RETURNING makes SQLAlchemy send the rows as one multi-row INSERT ("insertmanyvalues",
                # up to 1,000 rows, more than a page holds) from a cached compiled form: one statement,
                # atomic without a transaction around it, one round trip.
                conn.execute(insert(access_log).returning(access_log.c.id), rows)
            return
        except DBAPIError as exc:
            if attempt == 2 or not exc.connection_invalidated:
                raise


def log_rows(noted: dict[str, str | None]) -> list[dict]:
    """The access-log rows for these households (→ purpose), read by the caller of this request."""
    kit = current_app.extensions["servicekit"]
    principal = g.get("principal")
    role = principal.role if principal else "none"
    operation = f"{request.method} {request.url_rule.rule if request.url_rule else request.path}"[:200]
    common = dict(
        at=kit.clock.now(),
        actor=principal.sub[:120] if principal else "anonymous",
        actor_role=role,
        company_id=principal.company_id if principal else None,
        operation=operation,
    )
    return [{**common, "household_id": h, "purpose": purpose or PURPOSES.get(role, "unspecified")}
            for h, purpose in sorted(noted.items())]
