"""The calendar feed's secret as the rate limiter sees it: a subscriber's calendar client with a
valid `?token=` is never locked out by someone else's failed guesses from the same address."""

from __future__ import annotations

import hmac

from servicekit.web import uow
from servicekit.web.limits import query_credential

from support.models import Caseworker
from support.usecases.caseworkers import hash_feed_token


@query_credential("caseworkers.calendar")
def feed_token_valid(view_args: dict, token: str) -> bool:
    with uow() as unit:
        caseworker = unit.session.get(Caseworker, str(view_args.get("caseworker_id", ""))[:36])
        expected = caseworker.feed_token_hash if caseworker else None
    return bool(expected) and hmac.compare_digest(expected, hash_feed_token(token))
