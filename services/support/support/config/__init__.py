"""Configuration defaults of the support service, kept as JSON beside this file.

To change a default, edit the JSON file (each says what it holds in its "_about"). A deployment
can point SUPPORT_CONFIG_DIR at a folder with its own copies of the same files.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path

from support.domain.assignment import AssignmentPolicy
from support.domain.crisis import CrisisPolicy
from support.domain.office_hours import OfficeHours
from support.domain.plan import SupportPlan

_HERE = Path(__file__).parent


def _load(name: str) -> dict:
    folder = Path(os.environ.get("SUPPORT_CONFIG_DIR") or _HERE)
    with open(folder / name, encoding="utf-8") as fh:
        return json.load(fh)


@lru_cache
def load_plan() -> SupportPlan:
    return SupportPlan.from_config(_load("support_plan.json"))


@lru_cache
def load_scheduling() -> dict:
    return _load("scheduling.json")


@lru_cache
def load_office_hours() -> OfficeHours:
    return OfficeHours.from_config(load_scheduling())


@lru_cache
def load_crisis() -> CrisisPolicy:
    return CrisisPolicy.from_config(_load("crisis.json"))


@lru_cache
def load_assignment() -> AssignmentPolicy:
    return AssignmentPolicy.from_config(_load("assignment.json"))
