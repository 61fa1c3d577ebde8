"""Every error answers `application/problem+json` (RFC 9457): a clear title and detail, the field
errors for invalid input, and never a stack trace."""

from __future__ import annotations

import json
from typing import Any

import structlog
from flask import Flask, Response, g, request
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from servicekit.errors import DomainError, Problem

log = structlog.get_logger("servicekit.web")

PROBLEM_JSON = "application/problem+json"


def problem_response(status: int, title: str, detail: str, *, errors: Any = None, **extra: Any) -> Response:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    body["instance"] = request.path
    body.update(extra)
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_JSON)
    return response


def _describe_http(exc: HTTPException) -> Response:
    data = getattr(exc, "data", None) or {}
    errors = data.get("messages")
    status = exc.code or 500
    if status == 422 and errors:
        fields = ", ".join(_field_paths(errors)) or "input"
        detail = f"The request has invalid fields: {fields}."
    elif status == 400 and errors:
        detail = "The request body is not valid JSON." if "json" in errors else str(exc.description)
    else:
        detail = data.get("message") or exc.description or exc.name
    title = "Unprocessable Content" if status == 422 else exc.name  # RFC 9110's name for 422
    response = problem_response(status, title, detail, errors=errors)
    for header, value in (data.get("headers") or {}).items():
        response.headers[header] = value
    if status == 405 and hasattr(exc, "valid_methods") and exc.valid_methods:
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="wohnenplus"'
    return response


def _field_paths(errors: Any, prefix: str = "") -> list[str]:
    if not isinstance(errors, dict):
        return [prefix] if prefix else []
    paths: list[str] = []
    for key, value in errors.items():
        location = key if not prefix else f"{prefix}.{key}"
        if prefix == "" and key in ("json", "query", "path", "headers", "form", "files"):
            paths += _field_paths(value, "")
        elif isinstance(value, dict):
            paths += _field_paths(value, location)
        else:
            paths.append(location)
    return paths


def domain_problem(exc: DomainError) -> Response:
    """A domain error as problem+json: its status, its code, and the field it names where the
    request carried it (the form part of an upload, else the JSON body)."""
    location = "form" if request.mimetype == "multipart/form-data" else "json"
    errors = {location: {exc.field: [exc.detail]}} if exc.field else None
    return problem_response(exc.status, exc.title, exc.detail, errors=errors, code=exc.code, **exc.extra)


def mark_committed() -> None:
    """Called when the request's unit of work commits: from now on a failure must not claim that
    nothing happened."""
    g.request_committed = True


def after_failure(exc: Exception) -> Response:
    """The answer when something fails that is not the caller's fault. Before the request committed
    nothing was written, so a database that is away (or locked) is a 503 to retry; after it
    committed the change is stored, and the caller must learn that rather than retry blindly."""
    if g.get("request_committed"):
        # Stored either way; a database that went away in between (the access log of the answer
        # could not be written) is still a 503 for operators and clients: read back once it is back.
        away = isinstance(exc, (OperationalError, InterfaceError))
        response = problem_response(
            503 if away else 500, "Service Unavailable" if away else "Internal Server Error",
            "The change was stored, but the answer could not be completed; read the resource to see its "
            "current state instead of sending the request again.", stored=True)
        if away:
            response.headers["Retry-After"] = "5"
        return response
    if isinstance(exc, OperationalError):
        response = problem_response(503, "Service Unavailable", "The database is not reachable; try again shortly.")
        response.headers["Retry-After"] = "5"
        return response
    return problem_response(500, "Internal Server Error", "An unexpected error occurred; it has been logged.")


def install(app: Flask) -> None:
    @app.errorhandler(Problem)
    def _problem(exc: Problem):
        return problem_response(exc.status, exc.title, exc.detail, errors=exc.errors, **exc.extra)

    @app.errorhandler(DomainError)
    def _domain(exc: DomainError):
        return domain_problem(exc)

    @app.errorhandler(IntegrityError)
    def _integrity(exc: IntegrityError):
        # A uniqueness or reference rule of the database caught what the service layer did not
        # (typically two requests racing): the request conflicts with the current state.
        log.warning("web.integrity_conflict", error=type(exc.orig).__name__ if exc.orig else "IntegrityError")
        return problem_response(409, "Conflict", "The request conflicts with the current state of the resource.")

    @app.errorhandler(OperationalError)
    def _database_away(exc: OperationalError):
        log.error("web.database_unavailable", error=type(exc.orig).__name__ if exc.orig else "OperationalError")
        return after_failure(exc)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        if isinstance(exc, HTTPException):
            return _describe_http(exc)
        log.exception("web.unhandled", error=type(exc).__name__)
        return after_failure(exc)
