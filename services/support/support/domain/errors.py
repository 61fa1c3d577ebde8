"""Support's domain errors: servicekit's kinds (which choose the HTTP status) with stable codes.

Nothing here knows HTTP. The app factory renders every `DomainError` as problem+json with its
`code` (and `errors.json.<field>` when the error names the input that broke the rule), and the
consumer retries an event whose handler raised one.
"""

from __future__ import annotations

from servicekit.config import ConfigError
from servicekit.errors import DomainError, RuleViolation, StateConflict, UnknownObject

__all__ = [
    "ConfigError", "DomainError", "InvalidTransition", "NoCaseworkerAvailable", "RuleViolation",
    "SlotRejected", "SlotTaken", "StateConflict", "UnknownObject",
]


class NoCaseworkerAvailable(RuleViolation):
    """Nobody with the role has room and is present for the look-ahead (the case waits)."""

    def __init__(self, detail: str):
        super().__init__("case.no_caseworker_available", detail)


class InvalidTransition(StateConflict):
    """The action does not fit the current state (e.g. completing a cancelled appointment).
    `code` says which rule: `appointment.not_scheduled`, `case.closed`, ..."""


class SlotRejected(RuleViolation):
    """A hand-picked slot breaks one or more scheduling rules; `violations` lists their codes."""

    def __init__(self, violations):
        self.violations = tuple(violations)
        super().__init__("appointment.slot_rejected", "; ".join(v.message for v in self.violations),
                         "starts_at", violations=[v.code.value for v in self.violations])


class SlotTaken(StateConflict):
    """The caseworker already has an appointment at this time (the only rule the slot breaks)."""

    def __init__(self, detail: str = "The caseworker already has an appointment at this time.", **extra):
        super().__init__("appointment.overlap", detail, **extra)
