"""Rendering German messages with Jinja2.

A template is ``templates/<event type>/<role>.txt.j2`` with two blocks, ``subject`` and ``body``
(plain text). An HTML alternative is produced from the plain text by ``_layout.html.j2``, which is
autoescaped, so a company name like ``<b>`` can never inject markup. ``StrictUndefined`` makes a
template that uses a field the event lacks (or the recipient may not see) fail at render time
instead of printing an empty string.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

import jinja2
from markupsafe import Markup, escape

from .formatting import FILTERS

HTML_LAYOUT = "_layout.html.j2"
REQUIRED_BLOCKS = ("subject", "body")


class RenderError(ValueError):
    """A template could not be rendered for the given event (missing field, bad value)."""


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    text: str
    html: str


Labels = Mapping[str, Mapping[str, str]]


def label(labels: Labels, value: Any, group: str) -> str:
    """German label for a code value; unknown codes print unchanged (see config/labels.json)."""
    return labels.get(group, {}).get(str(value), str(value))


def _strict(function: Callable[..., Any]) -> Callable[..., Any]:
    """Make a filter raise for a missing value, as StrictUndefined does for printing it, so the
    error names the missing field instead of a type."""

    @functools.wraps(function)
    def wrapper(value: Any, *args: Any) -> Any:
        if isinstance(value, jinja2.Undefined):
            value._fail_with_undefined_error()
        return function(value, *args)

    return wrapper


def make_environment(template_dir: Path | str, labels: Labels) -> jinja2.Environment:
    """The environment over `template_dir` (the caller's: config.TEMPLATE_DIR) with the German
    filters and `label` over `labels` (config/labels.json, as the caller read it)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template_dir), encoding="utf-8"),
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html", "htm", "xml", "html.j2"),
            default_for_string=False,
            default=False,
        ),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        # Compiled once per process: the templates ship with the release (a deployment's own
        # folder is read at start-up too), so there is nothing to look for on the disk per message.
        auto_reload=False,
    )
    env.filters.update({name: _strict(f) for name, f in FILTERS.items()})
    env.filters["label"] = _strict(functools.partial(label, labels))
    env.filters["paragraph_html"] = paragraph_html
    return env


def paragraph_html(paragraph: str, link: str | None = None) -> Markup:
    """One paragraph of the plain text as HTML (the layout's `<p>` content): each line escaped, lines
    joined by `<br>`, a line ending in the message's link ending in that link as an anchor. In
    Python rather than as a loop in the layout, which cost a quarter of every message's rendering."""
    lines = []
    for line in paragraph.splitlines():
        if link and line.endswith(link):
            url = escape(link)
            lines.append(f'{escape(line[:len(line) - len(link)])}<a href="{url}" style="color: #b5121b;">{url}</a>')
        else:
            lines.append(str(escape(line)))
    return Markup("<br>".join(lines))


def _render_block(template: jinja2.Template, block: str, context: jinja2.runtime.Context) -> str:
    render = template.blocks.get(block)
    if render is None:
        raise RenderError(f"{template.name}: no block {block!r}")
    return "".join(render(context))


def _tidy_body(text: str) -> str:
    # Templates are written for readability; collapse runs of blank lines they leave behind.
    # The signature delimiter keeps its trailing space (RFC 3676) so mail clients recognise it.
    lines = [line.rstrip() if line.rstrip() != "--" else "-- " for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


class Renderer:
    def __init__(self, env: jinja2.Environment) -> None:
        self.env = env

    def render(self, template_name: str, context: Mapping[str, Any]) -> RenderedMessage:
        try:
            template = self.env.get_template(template_name)
            # One context for both blocks, as Jinja2 renders a whole template's blocks.
            variables = template.new_context(dict(context))
            subject = " ".join(_render_block(template, "subject", variables).split())
            text = _tidy_body(_render_block(template, "body", variables))
            html = self.env.get_template(HTML_LAYOUT).render(
                subject=subject, paragraphs=text.strip().split("\n\n"), link=context.get("link")
            )
        except jinja2.TemplateNotFound as missing:
            raise RenderError(f"template not found: {missing.name}") from None
        except jinja2.UndefinedError as undefined:
            raise RenderError(f"{template_name}: {undefined.message}") from None
        except (TypeError, ValueError) as bad:
            raise RenderError(f"{template_name}: {bad}") from None
        if not subject:
            raise RenderError(f"{template_name}: empty subject")
        return RenderedMessage(subject=subject, text=text, html=html)
