"""Domain-level errors that every service raises; the web layer turns them into problem+json."""

from __future__ import annotations

from typing import Any


class Problem(Exception):
    """An RFC 9457 problem. `errors` maps field names to messages for 422s."""

    status = 400
    title = "Bad Request"

    def __init__(self, detail: str, *, errors: dict[str, Any] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.extra = extra


class NotFound(Problem):
    status = 404
    title = "Not Found"


class Forbidden(Problem):
    status = 403
    title = "Forbidden"


class Conflict(Problem):
    """The request is valid but the resource's state does not allow it (signing twice, ...)."""

    status = 409
    title = "Conflict"


class Unprocessable(Problem):
    """The input breaks a rule of the domain; `field` names the input that broke it."""

    status = 422
    title = "Unprocessable Content"

    def __init__(self, detail: str, *, field: str | None = None, **extra: Any) -> None:
        errors = {"json": {field: [detail]}} if field else None
        super().__init__(detail, errors=errors, **extra)
