"""Choosing the fixed contact person and the social worker for a new case.

Rules, in order:
1. the person has the role, is active, and has room (active cases < max cases);
2. nobody absent at any time in the look-ahead (a new household must not start with a stand-in);
3. district: where the case has one and someone explicitly covers it, only those; otherwise the
   people who cover no particular district (they serve the whole city);
4. lowest load against capacity (active / max), then fewer active cases, then id — so the same
   input always gives the same person.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

from .errors import NoCaseworkerAvailable
from .model import Caseworker, Role


@dataclass(frozen=True)
class AssignmentPolicy:
    lookahead_days: int = 21

    @classmethod
    def from_config(cls, cfg: Mapping) -> AssignmentPolicy:
        return cls(lookahead_days=int(cfg.get("lookahead_days", 21)))


def _rank(cw: Caseworker, loads: Mapping[str, int]):
    active = loads.get(cw.id, 0)
    return (Fraction(active, max(cw.max_cases, 1)), active, cw.id)


def _present(cw: Caseworker, today: date, lookahead_days: int) -> bool:
    return not cw.is_absent_between(today, today + timedelta(days=lookahead_days))


def rank_candidates(
    caseworkers: Iterable[Caseworker],
    role: Role,
    loads: Mapping[str, int],
    today: date,
    *,
    district: str | None = None,
    policy: AssignmentPolicy = AssignmentPolicy(),
    respect_capacity: bool = True,
    exclude: frozenset[str] = frozenset(),
) -> list[Caseworker]:
    """Eligible people for `role`, best first (empty when nobody fits)."""
    eligible = [
        cw
        for cw in caseworkers
        if cw.active
        and cw.id not in exclude
        and cw.has_role(role)
        and (not respect_capacity or loads.get(cw.id, 0) < cw.max_cases)
        and _present(cw, today, policy.lookahead_days)
    ]
    if district:
        covering = [cw for cw in eligible if district in cw.districts]
        eligible = covering or [cw for cw in eligible if not cw.districts]
    return sorted(eligible, key=lambda cw: _rank(cw, loads))


def choose_caseworker(
    caseworkers: Iterable[Caseworker],
    role: Role,
    loads: Mapping[str, int],
    today: date,
    *,
    district: str | None = None,
    policy: AssignmentPolicy = AssignmentPolicy(),
    avoid: frozenset[str] = frozenset(),
) -> Caseworker:
    """The best person for `role`; `avoid` is a soft exclusion (used when both roles would
    otherwise land on one person who holds both)."""
    caseworkers = list(caseworkers)
    ranked = rank_candidates(caseworkers, role, loads, today, district=district, policy=policy)
    if not ranked:
        raise NoCaseworkerAvailable(
            f"no {role.value} with free capacity and present for the next {policy.lookahead_days} days"
        )
    preferred = [cw for cw in ranked if cw.id not in avoid]
    return (preferred or ranked)[0]


@dataclass(frozen=True)
class Team:
    contact_person: Caseworker
    social_worker: Caseworker


def choose_team(
    caseworkers: Iterable[Caseworker],
    loads: Mapping[str, int],
    today: date,
    *,
    district: str | None = None,
    policy: AssignmentPolicy = AssignmentPolicy(),
) -> Team:
    """Contact person and social worker for a new case; two different people where possible."""
    caseworkers = list(caseworkers)
    contact = choose_caseworker(caseworkers, Role.CONTACT_PERSON, loads, today, district=district, policy=policy)
    # the new case counts towards the contact person's load before the second choice
    loads_after = {**loads, contact.id: loads.get(contact.id, 0) + 1}
    others = rank_candidates(
        caseworkers, Role.SOCIAL_WORKER, loads_after, today,
        district=district, policy=policy, exclude=frozenset({contact.id}),
    )
    if others:
        social = others[0]
    elif contact.has_role(Role.SOCIAL_WORKER):
        social = contact  # one person in both roles: still one case on their desk, capacity already checked
    else:
        raise NoCaseworkerAvailable(
            f"no social_worker with free capacity and present for the next {policy.lookahead_days} days"
        )
    return Team(contact_person=contact, social_worker=social)
