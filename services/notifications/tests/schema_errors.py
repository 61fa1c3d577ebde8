"""What a JSON Schema finds wrong with an instance, as a list the tests can assert to be empty."""

from __future__ import annotations

import jsonschema


def schema_errors(instance, schema: dict, *, format_checker: jsonschema.FormatChecker | None = None) -> list[str]:
    """Every way `instance` breaks `schema` (and `schema` its meta-schema), each as
    "<path>: <message>"; empty when it fits."""
    validator = jsonschema.validators.validator_for(schema)
    problems = [f"schema: {e.message}" for e in validator(validator.META_SCHEMA).iter_errors(schema)]
    if problems:  # an invalid schema cannot judge the instance
        return problems
    found = validator(schema, format_checker=format_checker).iter_errors(instance)
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in found]
