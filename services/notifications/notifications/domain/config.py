"""Loads the service's configuration defaults from ``notifications/config/*.json``.

Reading files shipped in the package is the only I/O the domain does; it happens once, and the
parsed result is plain data handed to the pure functions.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"
TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"


def load_json(name: str, directory: Path = CONFIG_DIR) -> dict[str, Any]:
    with open(directory / name, encoding="utf-8") as handle:
        raw = json.load(handle)
    return _without_comments(raw)


def _without_comments(value: Any) -> Any:
    # Keys starting with "_" document the file for the people who edit it.
    if isinstance(value, dict):
        return {k: _without_comments(v) for k, v in value.items() if not k.startswith("_")}
    return value


@lru_cache(maxsize=None)
def labels() -> dict[str, dict[str, str]]:
    return load_json("labels.json")


@lru_cache(maxsize=None)
def mailboxes() -> dict[str, dict[str, str]]:
    return load_json("mailboxes.json")


@lru_cache(maxsize=None)
def links() -> dict[str, Any]:
    return load_json("links.json")


@lru_cache(maxsize=None)
def delivery() -> dict[str, Any]:
    return load_json("delivery.json")
