"""App configuration of contracts: domain errors as problem+json (RuleViolation → 422 naming the
field, StateConflict → 409; both carry the domain's stable `code`) and the request size limit."""

from __future__ import annotations

from flask import Flask, request

from servicekit.web.problems import problem_response

from contracts.domain import RuleViolation, StateConflict


# A claim carries up to 10 documents of up to 5 MB each, base64-encoded in JSON (4/3 of the size):
# the kit's default 5 MB request limit would cut that to one small file. Operators can still set
# CONTRACTS_MAX_REQUEST_BYTES.
DEFAULT_MAX_REQUEST_BYTES = 32 * 1024 * 1024


def configure_app(app: Flask) -> None:
    settings = app.extensions["servicekit"].settings
    if settings.get("MAX_REQUEST_BYTES") is None:
        app.config["MAX_CONTENT_LENGTH"] = DEFAULT_MAX_REQUEST_BYTES
    install_error_handlers(app)


def install_error_handlers(app: Flask) -> None:
    @app.errorhandler(RuleViolation)
    def _rule(exc: RuleViolation):
        # an upload's rule violations name the form part, as a JSON body's name the field
        location = "form" if request.mimetype == "multipart/form-data" else "json"
        errors = {location: {exc.field: [exc.detail]}} if exc.field else None
        return problem_response(422, "Unprocessable Content", exc.detail, errors=errors, code=exc.code)

    @app.errorhandler(StateConflict)
    def _conflict(exc: StateConflict):
        return problem_response(409, "Conflict", exc.detail, code=exc.code)
