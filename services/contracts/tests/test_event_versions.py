"""`matching.tenancy.agreed` in both versions (docs/EVENT-CHANGES.md): version 1 as before, version 2
with the referral number as `referral_no`, the pair matching publishes acted on once, and a version
contracts does not read dead-lettered at once."""

import uuid

from sqlalchemy import func, select

from contracts.models import Contract, Tenancy
from contracts_testkit import tenancy_event

AGREED = "matching.tenancy.agreed"


def _v2(v1: dict, referral_no: str) -> dict:
    return {**{k: v for k, v in v1.items() if k != "household_reference"}, "referral_no": referral_no}


def _tenancy(db, proposal_id):
    with db.session() as s:
        return s.scalars(select(Tenancy).where(Tenancy.proposal_id == proposal_id)).one_or_none()


def _contracts(db, household_id):
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(Contract).where(Contract.household_id == household_id))


def test_version_1_alone_still_works(handle_event, db):
    data = tenancy_event(str(uuid.uuid4()), household_reference="AS-2026-0001")
    assert handle_event(AGREED, data, source="matching")[0] == "handled"
    assert _tenancy(db, data["proposal_id"]).household_reference == "AS-2026-0001"


def test_version_2_alone_reads_the_referral_number_under_its_new_name(handle_event, db):
    data = _v2(tenancy_event(str(uuid.uuid4())), "AS-2026-0002")
    assert handle_event(AGREED, data, source="matching", version=2)[0] == "handled"
    assert _tenancy(db, data["proposal_id"]).household_reference == "AS-2026-0002"


def test_the_pair_matching_publishes_takes_effect_once_from_version_2(handle_event, db):
    v1 = tenancy_event(str(uuid.uuid4()), household_reference="from-v1")
    v2 = _v2(v1, "from-v2")
    # version 1 first, as the relay sends them: acknowledged without effect, version 2 acted on
    assert handle_event(AGREED, v1, source="matching", version=1, published_versions=(1, 2))[0] == "handled"
    assert _tenancy(db, v1["proposal_id"]) is None
    assert handle_event(AGREED, v2, source="matching", version=2, published_versions=(1, 2))[0] == "handled"
    assert _tenancy(db, v1["proposal_id"]).household_reference == "from-v2"
    assert _contracts(db, v1["household_id"]) == 1


def test_a_version_contracts_does_not_read_is_dead_lettered(handle_event, db):
    data = _v2(tenancy_event(str(uuid.uuid4())), "AS-2026-0003")
    assert handle_event(AGREED, data, source="matching", version=3)[0] == "dead_letter"
    assert _tenancy(db, data["proposal_id"]) is None
    # ... unless a version it reads of the same fact is published beside it
    assert handle_event(AGREED, data, source="matching", version=3, published_versions=(2, 3))[0] == "handled"
    assert _tenancy(db, data["proposal_id"]) is None
