"""Matching's own retention periods (config/retention.json; RETENTION_<NAME>_DAYS overrides one),
applied by a worker job with the service's clock.

- referral_withdrawn: a household withdrawn that long is erased household-wide, with
  reason `retention` — the same path as an Art. 17 request.
- left_program: likewise for a household that left the program (tenancy ended early,
  or the guarantee's term ended: contracts.contract.expired).
- decline_text: the free text of a decline, once the proposal was decided that long ago
  (the reason key stays for the decline statistics).
- erasure_note: the officer's note on an erasure request (the request itself stays as
  the record that the erasure happened).
- events still waiting for the relay when their household was erased are removed once they went
  out (within LATE_EVENTS of the erasure); other published events leave the outbox by the kit's
  own job (RETENTION_PUBLISHED_EVENTS_DAYS).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select, update

from servicekit.db.tables import outbox
from servicekit.privacy import ERASURE_REQUESTED, retention_days
from servicekit.jobs import JobContext

from matching import erasure
from matching.config import FILES
from matching.domain.household import HouseholdState
from matching.domain.lifecycle import values
from matching.domain.proposal import DECIDED
from matching.models import ErasureRequest, Household, Proposal

BATCH = 200
DEFAULTS = FILES.facts("retention.json")  # each period's default, in days (RETENTION_<NAME>_DAYS overrides)
LATE_EVENTS = timedelta(days=7)


def period(ctx: JobContext, name: str):
    return retention_days(ctx.settings, name, DEFAULTS[name])


def run(ctx: JobContext) -> dict[str, int]:
    done = {"households": _erase_households(ctx)}
    now = ctx.now()
    with ctx.uow(actor="retention") as unit:
        done["decline_texts"] = unit.session.execute(
            update(Proposal).where(Proposal.status.in_(values(DECIDED)), Proposal.decline_text.is_not(None),
                                   Proposal.decided_at < now - period(ctx, "decline_text"))
            .values(decline_text=None)).rowcount or 0
        done["erasure_notes"] = unit.session.execute(
            update(ErasureRequest).where(ErasureRequest.note.is_not(None),
                                         ErasureRequest.requested_at < now - period(ctx, "erasure_note"))
            .values(note=None)).rowcount or 0
        done["late_events"] = _forget_late_events(unit.session, now)
        unit.commit()
    return done


def _erase_households(ctx: JobContext) -> int:
    now = ctx.now()
    count = 0
    for status, name in ((HouseholdState.WITHDRAWN, "referral_withdrawn"), (HouseholdState.LEFT_PROGRAM, "left_program")):
        due = select(Household.id).where(Household.status == status.value, Household.erased_at.is_(None),
                                         Household.status_changed_at < now - period(ctx, name)).limit(BATCH)
        with ctx.uow() as unit:
            ids = list(unit.session.scalars(due))
        for household_id in ids:
            # One unit per household: one that fails does not hold back the others.
            with ctx.uow(actor="retention") as unit:
                household = unit.session.get(Household, household_id, with_for_update={"skip_locked": True})
                if household is None or household.erased_at is not None:
                    continue
                erasure.request_erasure(unit, household, "retention")
                unit.commit()
                count += 1
    return count


def _forget_late_events(session, now) -> int:
    """Erasure removes the household's published events; one the relay had not yet sent (a lease
    recorded just before) goes out afterwards and is removed here."""
    recent = session.scalars(select(Household.id).where(Household.erased_at > now - LATE_EVENTS)).all()
    removed = 0
    for household_id in recent:
        removed += session.execute(delete(outbox).where(outbox.c.published_at.is_not(None),
                                                        outbox.c.type != ERASURE_REQUESTED,
                                                        outbox.c.body.contains(household_id))).rowcount or 0
    return removed
