"""The web side of a service: app factory, problem+json errors, auth, health, metrics, docs."""

from servicekit.web.app import create_app
from servicekit.web.security import company_scope, current_principal, ensure_visible, requires, uow

__all__ = ["company_scope", "create_app", "current_principal", "ensure_visible", "requires", "uow"]
