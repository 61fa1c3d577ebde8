"""The configuration files of notifications (see README.md here), read through servicekit's one
loader: the shipped JSON, or a deployment's copy in `$NOTIFICATIONS_CONFIG_DIR`.

This is where notifications reads files; the domain gets the parsed values (a routing table, a
label dictionary, a template folder for its Jinja2 environment) and reads none itself.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from servicekit.config import ConfigError, ConfigFiles

from notifications.domain.rendering import Renderer, make_environment
from notifications.domain.routing import RoutingTable

__all__ = ["ConfigError", "FILES", "TEMPLATE_DIR", "delivery", "environment", "labels", "links", "mailboxes",
           "renderer", "routing_table"]

FILES = ConfigFiles("notifications", "notifications.config")

#: The German templates, `<event type>/<role>.txt.j2` (read when the environment loads one).
TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"


def routing_table() -> RoutingTable:
    """Who hears what (routing.json), parsed and checked."""
    return RoutingTable.from_mapping(FILES.facts("routing.json"))


@lru_cache(maxsize=None)
def labels() -> dict[str, dict[str, str]]:
    return FILES.facts("labels.json")


@lru_cache(maxsize=None)
def mailboxes() -> dict[str, dict[str, str]]:
    return FILES.facts("mailboxes.json")


@lru_cache(maxsize=None)
def links() -> dict[str, Any]:
    return FILES.facts("links.json")


@lru_cache(maxsize=None)
def delivery() -> dict[str, Any]:
    return FILES.facts("delivery.json")


def environment(template_dir: Path | str | None = None) -> jinja2.Environment:
    """The Jinja2 environment over the shipped templates (or another folder) with the labels."""
    return make_environment(template_dir or TEMPLATE_DIR, labels())


def renderer(template_dir: Path | str | None = None) -> Renderer:
    return Renderer(environment(template_dir))
