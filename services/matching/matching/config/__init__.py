"""Configuration data of the matching service (JSON files beside this module).

Where to update:
- `rent_limits.json`: the city's rent limits (cold rent, Kaltmiete) by household size. Replace the
  table when the social office publishes a new one.
- `districts.json`: the 23 Stadtbezirke.
- `matching.json`: space norm, availability horizon, score weights, urgency levels, response
  deadline, decline reasons and their effects, assignment pruning.

Set `MATCHING_CONFIG_DIR` to a directory holding replacements for any of these files.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from matching.domain.policy import Policy

FILES = ("matching.json", "rent_limits.json", "districts.json")


def _read(name: str, override_dir: str | None) -> dict[str, Any]:
    if override_dir and (Path(override_dir) / name).is_file():
        return json.loads((Path(override_dir) / name).read_text(encoding="utf-8"))
    return json.loads(resources.files(__name__).joinpath(name).read_text(encoding="utf-8"))


def load_policy(override_dir: str | None = None) -> Policy:
    override_dir = override_dir or os.environ.get("MATCHING_CONFIG_DIR")
    return Policy.from_data(
        matching=_read("matching.json", override_dir),
        rent_limits=_read("rent_limits.json", override_dir),
        districts=_read("districts.json", override_dir),
    )


@lru_cache(maxsize=1)
def default_policy() -> Policy:
    return load_policy()
