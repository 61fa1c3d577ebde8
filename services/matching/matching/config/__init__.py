"""Configuration data of the matching service (JSON files beside this module), read through the
kit's one loader (`servicekit.config.ConfigFiles`).

Where to update:
- `rent_limits.json`: the city's rent limits (cold rent, Kaltmiete) by household size. Replace the
  table when the social office publishes a new one.
- `districts.json`: the 23 Stadtbezirke.
- `matching.json`: space norm, availability horizon, score weights, urgency levels, response
  deadline, decline reasons and their effects, assignment pruning.
- `retention.json`: how long matching keeps what (days); RETENTION_<NAME>_DAYS overrides one.

Set `MATCHING_CONFIG_DIR` to a directory holding replacements for any of these files.
"""

from __future__ import annotations

from functools import lru_cache

from servicekit.config import ConfigFiles

from matching.domain.policy import Policy

FILES = ConfigFiles("matching", "matching.config")


def load_policy(files: ConfigFiles = FILES) -> Policy:
    """The policy the files say (the deployment's copies where `MATCHING_CONFIG_DIR` has them)."""
    rent_limits = files.read("rent_limits.json")  # with its `_source`: a proposal's snapshot names it
    return Policy.from_data(matching=files.facts("matching.json"), rent_limits=rent_limits,
                            districts=files.facts("districts.json"))


@lru_cache(maxsize=1)
def default_policy() -> Policy:
    return load_policy()
