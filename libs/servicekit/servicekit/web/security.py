"""Who is calling, what they may do, and which rows they may see.

`@requires("staff", "admin")` guards a view; `company_scope(stmt, Model.company_id)` narrows a query
to the caller's company when the caller is a company; `ensure_visible(obj)` turns another company's
object into the same 404 as a missing one, so ids cannot be probed.
"""

from __future__ import annotations

from contextlib import contextmanager
from copy import deepcopy
from functools import wraps
from typing import Any, Callable, Iterator, TypeVar

from flask import current_app, g, request
from flask_smorest import abort
from sqlalchemy import Select

from servicekit.auth import InvalidToken, Principal
from servicekit.db.uow import UnitOfWork
from servicekit.errors import NotFound
from servicekit.web.problems import mark_committed

F = TypeVar("F", bound=Callable[..., Any])
SAFE_METHODS = frozenset({"GET", "HEAD"})


def _authenticate() -> Principal:
    if "principal" in g:
        return g.principal
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        abort(401, message="A bearer token is required.")
    try:
        principal = current_app.extensions["servicekit"].verifier.verify(token.strip())
    except InvalidToken:
        abort(401, message="The bearer token is invalid or expired.")
    g.principal = principal
    return principal


def current_principal() -> Principal:
    return _authenticate()


def requires(*roles: str) -> Callable[[F], F]:
    """Allow callers holding any of `roles`; everyone else gets 401 (no token) or 403."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any):
            principal = _authenticate()
            if not principal.has_any(*roles):
                abort(403, message=f"This needs one of the roles: {', '.join(roles)}.")
            return view(*args, **kwargs)

        wrapper._required_roles = roles  # type: ignore[attr-defined]  # read by tests
        _document_auth_errors(wrapper, roles)
        return wrapper  # type: ignore[return-value]

    return decorator


def _document_auth_errors(view, roles: tuple[str, ...]) -> None:
    """Every guarded operation can answer 401 and 403: say so in its OpenAPI entry, with the roles it
    admits as `x-required-roles` — what clients read, and what the security tests' role matrix is
    generated from (flask-smorest keeps an operation's documentation in `_apidoc`; the copy leaves
    the wrapped view's untouched)."""
    doc = deepcopy(getattr(view, "_apidoc", {}))
    responses = doc.setdefault("response", {}).setdefault("responses", {})
    for status, name in ((401, "UNAUTHORIZED"), (403, "FORBIDDEN")):
        responses.setdefault(status, []).append(name)
    doc.setdefault("manual_doc", {})["x-required-roles"] = sorted(roles)
    view._apidoc = doc


def company_scope(stmt: Select, company_column) -> Select:
    """Narrow a query to the caller's own company when the caller is a company."""
    principal = current_principal()
    if principal.is_company:
        return stmt.where(company_column == principal.company_id)
    return stmt


T = TypeVar("T")


def ensure_visible(obj: T | None, *, what: str = "resource", company_attr: str = "company_id") -> T:
    """The object, if it exists and the caller may see it; else 404 — the same for both cases."""
    principal = current_principal()
    if obj is None or (principal.is_company and str(getattr(obj, company_attr)) != principal.company_id):
        raise NotFound(f"No {what} with this id.")
    return obj


@contextmanager
def uow() -> Iterator[UnitOfWork]:
    """A unit of work for this request: the caller becomes the audit actor, the request's
    correlation id travels into every event it causes, and once it commits, errors say so. A GET
    or HEAD reads without a transaction of its own (`UnitOfWork(read_only=True)`)."""
    kit = current_app.extensions["servicekit"]
    principal = g.get("principal")
    with UnitOfWork(
        kit.db,
        kit.service.name,
        correlation_id=g.get("correlation_id"),
        actor=principal.sub if principal else "anonymous",
        actor_role=principal.role if principal else "none",
        clock=kit.clock,
        on_commit=mark_committed,
        read_only=request.method in SAFE_METHODS,
    ) as unit:
        yield unit
