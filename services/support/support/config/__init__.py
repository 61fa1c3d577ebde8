"""Configuration of the support service: JSON files beside this module, read through servicekit's
one loader (`ConfigFiles`). Each file says in `_about` what it holds and in `_source` where its
figures come from. A deployment points `SUPPORT_CONFIG_DIR` at a folder with its own copies of any
of them; the files it does not replace stay the shipped ones.

- `support_plan.json`: the phases of the five-year support plan;
- `scheduling.json`: office hours, slot grid, booking horizon and notice;
- `crisis.json`: the crisis SLA and which claim kinds open a crisis;
- `assignment.json`: the absence look-ahead when a team is chosen;
- `caseload.json`: a new caseworker's capacity (open cases, weekly minutes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from servicekit.config import ConfigError, ConfigFiles

from support.domain.assignment import AssignmentPolicy
from support.domain.crisis import CrisisPolicy
from support.domain.office_hours import OfficeHours
from support.domain.plan import SupportPlan

FILES = ConfigFiles("support", "support.config")

__all__ = ["FILES", "Caseload", "ConfigError", "Horizon", "caseload", "crisis_claim_kinds", "horizon",
           "load_assignment", "load_crisis", "load_office_hours", "load_plan", "load_scheduling"]


def _required(facts: dict, name: str, key: str):
    if key not in facts:
        raise ConfigError(f"configuration file {name} must say {key!r}")
    return facts[key]


@dataclass(frozen=True)
class Caseload:
    """A caseworker's capacity unless the registration says otherwise."""

    max_cases: int
    weekly_minutes: int


@dataclass(frozen=True)
class Horizon:
    """How far ahead planned visits are booked, and how soon at the earliest."""

    weeks: int
    planned_notice: timedelta


@lru_cache
def load_plan() -> SupportPlan:
    return SupportPlan.from_config(FILES.facts("support_plan.json"))


@lru_cache
def load_scheduling() -> dict:
    return FILES.facts("scheduling.json")


@lru_cache
def load_office_hours() -> OfficeHours:
    return OfficeHours.from_config(load_scheduling())


@lru_cache
def horizon() -> Horizon:
    facts = load_scheduling()
    return Horizon(weeks=int(_required(facts, "scheduling.json", "horizon_weeks")),
                   planned_notice=timedelta(hours=int(_required(facts, "scheduling.json", "planned_notice_hours"))))


@lru_cache
def load_crisis() -> CrisisPolicy:
    return CrisisPolicy.from_config(FILES.facts("crisis.json"))


@lru_cache
def crisis_claim_kinds() -> frozenset[str]:
    """The kinds of claim (contracts.claim.submitted) that open a crisis for the household."""
    return frozenset(_required(FILES.facts("crisis.json"), "crisis.json", "claim_kinds"))


@lru_cache
def load_assignment() -> AssignmentPolicy:
    return AssignmentPolicy.from_config(FILES.facts("assignment.json"))


@lru_cache
def caseload() -> Caseload:
    facts = FILES.facts("caseload.json")
    return Caseload(max_cases=int(_required(facts, "caseload.json", "max_cases")),
                    weekly_minutes=int(_required(facts, "caseload.json", "weekly_minutes")))
