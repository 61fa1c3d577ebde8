"""Domain errors as problem+json: RuleViolation → 422 naming the field, StateConflict → 409; both
carry the domain's stable `code`."""

from __future__ import annotations

from flask import Flask

from servicekit.web.problems import problem_response

from contracts.domain import RuleViolation, StateConflict


def install_error_handlers(app: Flask) -> None:
    @app.errorhandler(RuleViolation)
    def _rule(exc: RuleViolation):
        errors = {"json": {exc.field: [exc.detail]}} if exc.field else None
        return problem_response(422, "Unprocessable Content", exc.detail, errors=errors, code=exc.code)

    @app.errorhandler(StateConflict)
    def _conflict(exc: StateConflict):
        return problem_response(409, "Conflict", exc.detail, code=exc.code)
