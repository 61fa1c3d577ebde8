"""The household the social office referred.

    waiting ──proposed──▶ proposed ──lease signed──▶ housed
       ▲                    │
       └──declined, expired, withdrawn proposal──┘
    waiting, proposed ──withdrawn──▶ withdrawn
    any state ──its tenancy or guarantee ended (contracts)──▶ left_program

Leaving the program is a fact another service reports, so every state allows it.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from servicekit.clock import BERLIN, berlin_date
from servicekit.errors import RuleViolation, StateConflict

from matching.domain.lifecycle import Lifecycle, new_id


class HouseholdState(enum.StrEnum):
    WAITING = "waiting"
    PROPOSED = "proposed"
    HOUSED = "housed"
    WITHDRAWN = "withdrawn"
    LEFT_PROGRAM = "left_program"


_LEAVE = frozenset({HouseholdState.LEFT_PROGRAM})
TRANSITIONS = {
    HouseholdState.WAITING: frozenset({HouseholdState.PROPOSED, HouseholdState.WITHDRAWN}) | _LEAVE,
    HouseholdState.PROPOSED: frozenset({HouseholdState.WAITING, HouseholdState.HOUSED, HouseholdState.WITHDRAWN}) | _LEAVE,
    HouseholdState.HOUSED: frozenset({HouseholdState.WAITING}) | _LEAVE,
    HouseholdState.WITHDRAWN: _LEAVE,
    HouseholdState.LEFT_PROGRAM: frozenset(),
}
# Still looking for a flat: an erasure withdraws these first (their open proposals end).
LOOKING = frozenset({HouseholdState.WAITING, HouseholdState.PROPOSED})


def referred_at(referred_on: date | None, now: datetime) -> datetime:
    """A referral date from the office counts from its start in Stuttgart; without one, from now."""
    if referred_on is None:
        return now
    if referred_on > berlin_date(now):
        raise RuleViolation("household.referred_in_future", "the referral date lies in the future", field="referred_on")
    return datetime.combine(referred_on, datetime.min.time(), BERLIN)


class HouseholdRules(Lifecycle):
    ENTITY = "household"
    TRANSITIONS = TRANSITIONS

    @classmethod
    def refer(cls, data: dict[str, Any], now: datetime):
        data = dict(data)
        at = referred_at(data.pop("referred_on", None), now)
        household = cls(**data, id=new_id(), status=HouseholdState.WAITING.value, referred_at=at, counted_declines=0,
                        needs_review=False, status_changed_at=now)
        household.record("matching.household.referred", {
            "household_id": household.id, "size": household.size, "urgency": household.urgency,
            "household_reference": household.referral_no})
        return household

    @property
    def size(self) -> int:
        return self.adults + self.children

    @property
    def referred_on(self) -> date:
        return berlin_date(self.referred_at)

    def ensure_not_erased(self) -> None:
        if self.erased_at is not None:
            raise StateConflict("household.erased", "The household's data was erased.")

    def ensure_waiting(self) -> None:
        if self.status != HouseholdState.WAITING:
            raise StateConflict("household.not_waiting", f"The household is {self.status}, not waiting.")

    def move_to(self, new: HouseholdState, at: datetime) -> str | None:  # type: ignore[override]
        """Go to `new` (None when already there); `status_changed_at` starts the retention periods."""
        if self.status == new:
            return None
        old = super().move_to(new)
        self.status_changed_at = at
        return old

    def withdraw(self, reason: str, at: datetime) -> str | None:
        self.ensure_not_erased()
        old = self.move_to(HouseholdState.WITHDRAWN, at)
        self.withdrawal_reason = reason  # free text about the household: encrypted, not in the trail
        return old

    def leave_program(self, at: datetime) -> str | None:
        return self.move_to(HouseholdState.LEFT_PROGRAM, at)

    def override_rent_limit(self, cents: int | None, reason: str) -> int | None:
        """A limit of its own (None: the city's table again); returns the one it replaced."""
        self.ensure_not_erased()
        before = self.rent_limit_override_cents
        self.rent_limit_override_cents = cents
        self.rent_limit_override_reason = reason if cents is not None else None
        return before

    def count_decline(self, counted_declines: int, needs_review: bool) -> bool:
        """Note a decline's outcome; True when it newly flags the household for review."""
        self.counted_declines = counted_declines
        if needs_review and not self.needs_review:
            self.needs_review = True
            return True
        return False
