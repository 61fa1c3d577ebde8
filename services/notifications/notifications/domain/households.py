"""Which household a message is to or about, so erasure and the access export find every message
about it: the household's own, and those to its company, its contact person and the office."""

from __future__ import annotations

from typing import Any, Callable, Mapping

from .catalogue import DELIVERY_FAILED
from .recipients import RecipientRef

Lookup = Callable[[str], "str | None"]


def household_of_event(
    event_type: str, data: Mapping[str, Any], household_of_case: Lookup, household_of_notification: Lookup
) -> str | None:
    """The household the event names: directly, through its case (risk and crisis events name only
    the case), or, for a failed delivery, the household of the message that failed."""
    if data.get("household_id"):
        return str(data["household_id"])[:36]
    if data.get("case_id"):
        found = household_of_case(str(data["case_id"]))
        if found:
            return found
    if event_type == DELIVERY_FAILED and data.get("notification_id"):
        return household_of_notification(str(data["notification_id"]))
    return None


def household_of_message(recipient: RecipientRef, event_household: str | None) -> str | None:
    return recipient.id[:36] if recipient.kind == "household" else event_household
