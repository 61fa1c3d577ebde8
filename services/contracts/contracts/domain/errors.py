"""Domain errors.

Every rule the domain enforces fails with one of two exception types so the web layer can map
them without knowing the rules:

- `RuleViolation`: the input breaks a business rule (over the cap, outside the term, overlapping
  period). The API answers 422 and names `field`.
- `StateConflict`: the request is well-formed but the object is in the wrong state for it (signing
  twice, deciding a decided claim, filing on a draft contract). The API answers 409.

`code` is a stable, machine-readable identifier that clients may branch on; `detail` is English
text for developers.
"""

from __future__ import annotations


class DomainError(Exception):
    def __init__(self, code: str, detail: str, field: str | None = None) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.field = field


class RuleViolation(DomainError):
    """Input that breaks a business rule (HTTP 422)."""


class StateConflict(DomainError):
    """Operation not allowed in the object's current state (HTTP 409)."""
