"""Values worth computing once per database transaction (e.g. in a consumer batch, which handles up
to a hundred events in one): kept in the session, keyed by the transaction, so a commit starts afresh."""

from __future__ import annotations

from typing import Callable, TypeVar

from sqlalchemy.orm import Session

T = TypeVar("T")


def per_transaction(session: Session, key: str, compute: Callable[[], T]) -> T:
    """`compute()` once per transaction of `session`; later calls in it get the same object back.
    What it returns may be as old as the transaction: callers that act on it re-check under a lock."""
    session.connection()  # begins the transaction if none has yet, so that it can be the key
    transaction = session.get_transaction()
    memo = session.info.get(key)
    if memo is None or memo[0] is not transaction:
        memo = (transaction, compute())
        session.info[key] = memo
    return memo[1]
