"""Domain errors. The service layer maps them to problem+json responses."""


class DomainError(Exception):
    """Base class; `code` is stable and machine readable."""

    code = "domain_error"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ConfigError(DomainError):
    code = "invalid_configuration"


class NoCaseworkerAvailable(DomainError):
    code = "no_caseworker_available"


class SlotRejected(DomainError):
    """A hand-picked slot breaks one or more scheduling rules."""

    code = "slot_rejected"

    def __init__(self, violations):
        self.violations = tuple(violations)
        super().__init__("; ".join(v.message for v in self.violations))


class InvalidTransition(DomainError):
    """The action does not fit the current state (e.g. completing a cancelled appointment)."""

    code = "invalid_transition"
