"""How the fixed request rate is split between the roles and into locust users.

Each locust user sends at a constant throughput of at most MAX_PER_USER requests per second, so a
response may take up to 1 / MAX_PER_USER seconds before the offered rate starts to sag; beyond that
the run reports the rate as not sustained instead of quietly sending less.
"""

from __future__ import annotations

import math

SHARES = {"company": 0.6, "staff": 0.2, "caseworker": 0.2}  # of the rate; matching runs come on top
MAX_PER_USER = 0.5


def users(rate: float) -> dict[str, int]:
    counts = {role: max(1, math.ceil(rate * share / MAX_PER_USER)) for role, share in SHARES.items()}
    return counts | {"runner": 1}


def per_user(rate: float, role: str) -> float:
    return rate * SHARES[role] / users(rate)[role]
