"""Domain errors: the kit's, so the app factory maps them once (servicekit.errors).

- `RuleViolation`: the input breaks a business rule (over the cap, outside the term, overlapping
  period). The API answers 422 and names `field`.
- `StateConflict`: the request is well-formed but the object is in the wrong state for it (signing
  twice, deciding a decided claim, filing on a draft contract). The API answers 409.

`code` is a stable, machine-readable identifier that clients may branch on; `detail` is English
text for developers.
"""

from servicekit.errors import DomainError, RuleViolation, StateConflict

__all__ = ["DomainError", "RuleViolation", "StateConflict"]
