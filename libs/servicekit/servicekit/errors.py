"""The errors every service raises; the app factory turns each into problem+json once.

Two families, by who raises them:

- `DomainError` and its kinds: a rule of the domain said no. The domain raises them and knows no
  HTTP; each kind carries the status it answers with, and every error a stable, dotted `code`
  (`claim.over_cap`, `appointment.invalid_transition`) that clients may branch on. `field` names the
  input that broke the rule.
- `Problem` and its kinds: what a view decides about a request (no such resource, not yours).
"""

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


class DomainError(Exception):
    """A rule of the domain refused the operation. `code` is stable and machine-readable; `detail`
    is English text for developers; `extra` adds members to the problem (e.g. every rule a slot
    broke). The kinds below choose the HTTP status; the domain never names one."""

    status = 422
    title = "Unprocessable Content"

    def __init__(self, code: str, detail: str, field: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.field = field
        self.extra = extra


class RuleViolation(DomainError):
    """The input breaks a business rule (over the cap, outside the term, no free caseworker): 422."""


class StateConflict(DomainError):
    """The object is in the wrong state for the operation (signing twice, completing a cancelled
    appointment): 409."""

    status = 409
    title = "Conflict"


class UnknownObject(DomainError):
    """An operation names an object the domain does not hold (an unknown case or flat): 404."""

    status = 404
    title = "Not Found"
