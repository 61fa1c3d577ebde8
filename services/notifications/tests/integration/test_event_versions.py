"""`matching.tenancy.agreed` in both versions (docs/EVENT-CHANGES.md): version 2 (the referral
number as `referral_no`) writes the same messages as version 1, the pair matching publishes writes
them once, and a version notifications does not read is dead-lettered at once."""

from sqlalchemy import select

from notifications.models import Notification
from sample_events import HOUSEHOLD_REFERENCE, SAMPLE_DATA

AGREED = "matching.tenancy.agreed"
V1 = SAMPLE_DATA[AGREED]
V2 = {**{k: v for k, v in V1.items() if k != "household_reference"}, "referral_no": V1["household_reference"]}


def _messages(db, event_id):
    with db.session() as s:
        rows = s.scalars(select(Notification).where(Notification.event_id == event_id)).all()
        return sorted((n.recipient, n.channel, n.subject, n.body, n.payload) for n in rows)


def test_version_2_writes_the_messages_version_1_writes(handle_event, db, registered_companies):
    outcome, v1 = handle_event(AGREED, V1, source="matching")
    assert outcome == "handled"
    outcome, v2 = handle_event(AGREED, V2, source="matching", version=2)
    assert outcome == "handled"
    first, second = _messages(db, v1.id), _messages(db, v2.id)
    assert first and first == second
    # the referral number arrived through version 2's new name (the company's message names it)
    assert any(HOUSEHOLD_REFERENCE in (body + (payload or "")) for _, _, _, body, payload in second)


def test_the_pair_matching_publishes_writes_the_messages_once(handle_event, db, registered_companies):
    outcome, v1 = handle_event(AGREED, V1, source="matching", version=1, published_versions=(1, 2))
    assert outcome == "handled" and _messages(db, v1.id) == []  # acknowledged, no effect: v2 is the one
    outcome, v2 = handle_event(AGREED, V2, source="matching", version=2, published_versions=(1, 2))
    assert outcome == "handled" and _messages(db, v2.id)


def test_a_version_notifications_does_not_read_is_dead_lettered(handle_event, db):
    outcome, v3 = handle_event(AGREED, V2, source="matching", version=3)
    assert outcome == "dead_letter" and _messages(db, v3.id) == []
