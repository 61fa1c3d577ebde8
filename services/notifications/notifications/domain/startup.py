"""Startup check: every routed (event type, role) has a loadable template with subject and body.

A missing template is a startup error, not a silently dropped message.
"""

from __future__ import annotations

import jinja2

from .rendering import HTML_LAYOUT, REQUIRED_BLOCKS
from .routing import RoutingTable


class MissingTemplatesError(RuntimeError):
    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("notification templates incomplete: " + "; ".join(problems))


def template_problems(table: RoutingTable, env: jinja2.Environment) -> list[str]:
    problems: list[str] = []
    for name in [HTML_LAYOUT] + [route.template for route in table.routes]:
        try:
            template = env.get_template(name)
        except jinja2.TemplateNotFound:
            problems.append(f"missing template {name}")
            continue
        except jinja2.TemplateSyntaxError as error:
            problems.append(f"{name}: syntax error line {error.lineno}: {error.message}")
            continue
        if name == HTML_LAYOUT:
            continue
        for block in REQUIRED_BLOCKS:
            if block not in template.blocks:
                problems.append(f"{name}: no block {block!r}")
    return problems


def check_templates(table: RoutingTable, env: jinja2.Environment) -> None:
    problems = template_problems(table, env)
    if problems:
        raise MissingTemplatesError(problems)
