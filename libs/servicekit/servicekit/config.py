"""A service's configuration files: program facts and policies as JSON, shipped in the service's
`config/` folder, one file per subject, each saying in `_about` (and per fact in `source`) where
its figures come from.

A deployment replaces any of them by a file of the same name in the folder `$<SERVICE>_CONFIG_DIR`
names (`CONTRACTS_CONFIG_DIR`, ...); the files it does not replace stay the shipped ones. Every
service reads its files through this one loader, so "where does this figure come from and how do I
change it" has one answer.
"""

from __future__ import annotations

import copy
import json
import os
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any


class ConfigError(ValueError):
    """A configuration file is missing or does not say what the service needs."""


class ConfigFiles:
    """The configuration files of one service: `ConfigFiles("contracts", "contracts.config")`."""

    def __init__(self, service: str, package: str) -> None:
        self.service = service
        self.package = package
        self.env_var = f"{service.upper()}_CONFIG_DIR"

    @property
    def override_dir(self) -> Path | None:
        folder = os.environ.get(self.env_var)
        return Path(folder) if folder else None

    def source(self, name: str) -> str:
        """Where `name` is read from: the deployment's copy if it has one, else the shipped file."""
        folder = self.override_dir
        if folder is not None and (folder / name).is_file():
            return str(folder / name)
        return str(resources.files(self.package).joinpath(name))

    def read(self, name: str) -> dict[str, Any]:
        """The file's JSON as written, `_about` and `source` notes included (parsed once per path)."""
        return copy.deepcopy(_parsed(self.source(name)))

    def facts(self, name: str) -> dict[str, Any]:
        """The file's JSON without the keys that document it (those starting with `_`)."""
        return without_comments(self.read(name))


def without_comments(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_comments(v) for k, v in value.items() if not k.startswith("_")}
    if isinstance(value, list):
        return [without_comments(v) for v in value]
    return value


@lru_cache(maxsize=128)
def _parsed(path: str) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"configuration file {Path(path).name} not found") from exc
    except json.JSONDecodeError as exc:
        raise ConfigError(f"configuration file {Path(path).name} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"configuration file {Path(path).name} must hold a JSON object")
    return data


def reload() -> None:
    """Forget parsed files (tests that rewrite a file in place; a new path is read anyway)."""
    _parsed.cache_clear()
