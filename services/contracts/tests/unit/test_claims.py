from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.domain import (
    ClaimStatus,
    ContractState,
    Decision,
    EvidenceInfo,
    EvidenceKind,
    LossKind,
    Month,
    MonthPeriod,
    RuleViolation,
    StateConflict,
    TerminationReason,
)

from contracts_unit_helpers import SMALL_CAPS, at, make_contract

GRACE = 180


def evidence_for(kind):
    doc_kind = EvidenceKind.RENT_LEDGER if kind is LossKind.RENT_ARREARS else EvidenceKind.INVOICE
    return [EvidenceInfo(doc_kind, "beleg.pdf", "application/pdf", 20_000)]


def period(first: str, last: str | None = None) -> MonthPeriod:
    return MonthPeriod(Month.parse(first), Month.parse(last or first))


def file(contract, kind=LossKind.RENT_ARREARS, amount=50_000, per=None, when=date(2027, 6, 15), claim_id=None):
    if per is None and kind is LossKind.RENT_ARREARS:
        per = period("2027-01")
    return contract.file_claim(
        claim_id=claim_id or f"cl-{len(contract.claims) + 1}", kind=kind, amount_cents=amount, period=per,
        description="Mietkonto anbei", evidence=evidence_for(kind), at=at(when), grace_days=GRACE,
    )


def test_filed_claim_is_submitted_and_announced():
    contract = make_contract()
    claim = file(contract)
    assert claim.status is ClaimStatus.SUBMITTED
    [event] = contract.events
    assert event.type == "contracts.claim.submitted"
    assert event.data["amount_cents"] == 50_000
    assert event.data["company_id"] == "company-a"
    assert event.data["period"] == {"first": "2027-01", "last": "2027-01"}
    assert event.data["resubmission"] is False


def test_no_claim_on_a_draft():
    contract = make_contract(active=False)
    with pytest.raises(StateConflict) as err:
        file(contract)
    assert err.value.code == "contract.not_active"
    assert contract.claims == []


@pytest.mark.parametrize(
    ("per", "ok"),
    [
        (period("2026-03"), True),  # first month of the term
        (period("2026-02"), False),  # before the lease start
        (period("2031-02"), True),  # month of the last day of the term
        (period("2031-03"), False),  # after the term
        (period("2031-01", "2031-03"), False),  # sticks out at the end
        (period("2026-02", "2026-04"), False),  # sticks out at the start
    ],
)
def test_period_must_lie_inside_the_term(per, ok):
    contract = make_contract()
    when = date(2031, 3, 10)
    if ok:
        file(contract, per=per, when=when)
    else:
        with pytest.raises(RuleViolation) as err:
            file(contract, per=per, when=when)
        assert err.value.code == "claim.period_outside_term"
        assert err.value.field == "period"


def test_mid_month_lease_start_covers_its_first_month():
    contract = make_contract(date(2026, 3, 15))
    file(contract, per=period("2026-03"), when=date(2026, 4, 2))
    with pytest.raises(RuleViolation):
        file(contract, per=period("2026-02"), when=date(2026, 4, 2))


def test_period_must_have_begun():
    contract = make_contract()
    with pytest.raises(RuleViolation) as err:
        file(contract, per=period("2027-07"), when=date(2027, 6, 30))
    assert err.value.code == "claim.period_in_future"
    file(contract, per=period("2027-07"), when=date(2027, 7, 1))


def test_arrears_amount_limited_to_covered_rent_of_the_months():
    contract = make_contract(rent=80_000)
    with pytest.raises(RuleViolation) as err:
        file(contract, per=period("2027-01", "2027-02"), amount=160_001)
    assert err.value.field == "amount_cents"
    file(contract, per=period("2027-01", "2027-02"), amount=160_000)


@pytest.mark.parametrize(
    ("existing", "new", "overlaps"),
    [
        (("2027-01", "2027-03"), ("2027-03", "2027-04"), True),
        (("2027-01", "2027-03"), ("2026-12", "2027-01"), True),
        (("2027-01", "2027-03"), ("2027-02", "2027-02"), True),
        (("2027-01", "2027-03"), ("2027-04", "2027-05"), False),
        (("2027-01", "2027-03"), ("2026-11", "2026-12"), False),
    ],
)
def test_no_month_covered_twice(existing, new, overlaps):
    contract = make_contract()
    file(contract, per=period(*existing), amount=100_000)
    if overlaps:
        with pytest.raises(RuleViolation) as err:
            file(contract, per=period(*new), amount=10_000)
        assert err.value.code == "claim.period_overlap"
        assert len(contract.claims) == 1
    else:
        file(contract, per=period(*new), amount=10_000)


@pytest.mark.parametrize("status_change", ["reject", "withdraw"])
def test_rejected_or_withdrawn_claims_free_their_period_and_cap(status_change, small_caps):
    contract = make_contract(coverage=small_caps, rent=300_000)
    first = file(contract, per=period("2027-01"), amount=300_000)
    if status_change == "reject":
        contract.decide_claim(first.id, Decision.REJECT, by="fin", at=at(date(2027, 6, 20)), reason="kein Nachweis")
    else:
        contract.withdraw_claim(first.id)
    assert contract.remaining_by_cap()["rent_arrears"] == 300_000, "the dead claim holds nothing of the cap"
    again = file(contract, per=period("2027-01"), amount=300_000, when=date(2027, 6, 21))
    assert again.status is ClaimStatus.SUBMITTED and again.period == first.period
    assert contract.remaining_by_cap()["rent_arrears"] == 0


def test_returned_claims_still_block_their_period():
    contract = make_contract()
    first = file(contract, per=period("2027-01"))
    contract.decide_claim(first.id, Decision.RETURN, by="fin", at=at(date(2027, 6, 20)), reason="Mietkonto fehlt")
    with pytest.raises(RuleViolation):
        file(contract, per=period("2027-01"))


def test_cap_reached_exactly_is_allowed_one_cent_more_is_not(small_caps):
    contract = make_contract(coverage=small_caps)
    file(contract, kind=LossKind.DAMAGE_REPAIRS, amount=60_000)
    with pytest.raises(RuleViolation) as err:
        file(contract, kind=LossKind.RENOVATION_MOVE_OUT, amount=40_001)
    assert err.value.code == "claim.cap_exceeded"
    assert err.value.field == "amount_cents"
    file(contract, kind=LossKind.RENOVATION_MOVE_OUT, amount=40_000)  # shared cap, now exactly full
    assert contract.remaining_by_cap()["repairs"] == 0
    with pytest.raises(RuleViolation):
        file(contract, kind=LossKind.DAMAGE_REPAIRS, amount=1)
    # the other cap is untouched
    assert contract.remaining_by_cap()["rent_arrears"] == 300_000


def test_partial_approval_releases_the_rest_of_the_cap(small_caps):
    contract = make_contract(coverage=small_caps)
    claim = file(contract, kind=LossKind.DAMAGE_REPAIRS, amount=100_000)
    with pytest.raises(RuleViolation) as err:
        contract.decide_claim(claim.id, Decision.APPROVE, by="fin", at=at(date(2027, 7, 1)), approved_cents=70_000)
    assert err.value.field == "reason"
    contract.decide_claim(
        claim.id, Decision.APPROVE, by="fin", at=at(date(2027, 7, 1)), approved_cents=70_000, reason="Abnutzung"
    )
    assert claim.status is ClaimStatus.PARTIALLY_APPROVED
    assert contract.remaining_by_cap()["repairs"] == 30_000
    assert contract.events[-1].data["approved_cents"] == 70_000
    assert contract.events[-1].data["status"] == "partially_approved"


def test_approval_above_the_claimed_amount_is_rejected():
    contract = make_contract()
    claim = file(contract)
    with pytest.raises(RuleViolation) as err:
        contract.decide_claim(claim.id, Decision.APPROVE, by="f", at=at(date(2027, 7, 1)), approved_cents=50_001)
    assert err.value.code == "claim.approved_exceeds_claimed"
    assert claim.status is ClaimStatus.SUBMITTED


def test_deciding_a_decided_claim_is_a_conflict():
    contract = make_contract()
    claim = file(contract)
    contract.decide_claim(claim.id, Decision.APPROVE, by="f", at=at(date(2027, 7, 1)))
    with pytest.raises(StateConflict) as err:
        contract.decide_claim(claim.id, Decision.REJECT, by="f", at=at(date(2027, 7, 2)), reason="doch nicht")
    assert err.value.code == "claim.not_open_for_decision"
    assert claim.status is ClaimStatus.APPROVED


def test_reject_and_return_need_a_reason():
    contract = make_contract()
    claim = file(contract)
    for decision in (Decision.REJECT, Decision.RETURN):
        with pytest.raises(RuleViolation):
            contract.decide_claim(claim.id, decision, by="f", at=at(date(2027, 7, 1)), reason="  ")


def test_returned_claim_resubmitted_with_new_amount_is_checked_against_the_cap(small_caps):
    contract = make_contract(coverage=small_caps)
    claim = file(contract, kind=LossKind.DAMAGE_REPAIRS, amount=50_000)
    file(contract, kind=LossKind.DAMAGE_REPAIRS, amount=40_000)
    contract.decide_claim(claim.id, Decision.RETURN, by="f", at=at(date(2027, 7, 1)), reason="Rechnung fehlt")
    with pytest.raises(RuleViolation):
        contract.resubmit_claim(claim.id, amount_cents=60_001, description="neu", at=at(date(2027, 7, 2)), grace_days=GRACE)
    contract.resubmit_claim(claim.id, amount_cents=60_000, description="Rechnung anbei", at=at(date(2027, 7, 2)), grace_days=GRACE)
    assert claim.status is ClaimStatus.SUBMITTED
    assert claim.amount_cents == 60_000
    assert contract.events[-1].type == "contracts.claim.submitted" and contract.events[-1].data["resubmission"]
    assert contract.remaining_by_cap()["repairs"] == 0


def test_payout_once_and_only_after_approval():
    contract = make_contract()
    claim = file(contract)
    with pytest.raises(StateConflict):
        contract.record_payout(claim.id, by="f", at=at(date(2027, 7, 1)), reference="ZV-1")
    contract.decide_claim(claim.id, Decision.APPROVE, by="f", at=at(date(2027, 7, 1)))
    contract.record_payout(claim.id, by="f", at=at(date(2027, 7, 3)), reference="ZV-1")
    assert claim.status is ClaimStatus.PAID
    assert contract.events[-1].type == "contracts.claim.paid"
    with pytest.raises(StateConflict) as err:
        contract.record_payout(claim.id, by="f", at=at(date(2027, 7, 4)), reference="ZV-2")
    assert err.value.code == "claim.already_paid"
    assert claim.payout_reference == "ZV-1"


def test_grace_period_after_the_end(config):
    contract = make_contract()
    contract.terminate(TerminationReason.MOVE_OUT, effective_on=date(2027, 3, 31), at=at(date(2027, 4, 1)))
    # inside grace, inside the shortened term
    file(contract, per=period("2027-03"), when=date(2027, 9, 27))
    # a month after the effective end is outside the cover
    with pytest.raises(RuleViolation):
        file(contract, per=period("2027-04"), when=date(2027, 9, 27))
    # the last day of grace still counts, the next one does not
    last_grace_day = date(2027, 9, 27)
    assert contract.accepts_claims_on(last_grace_day, GRACE)
    with pytest.raises(StateConflict) as err:
        file(contract, kind=LossKind.DAMAGE_REPAIRS, amount=1_000, when=date(2027, 9, 28))
    assert err.value.code == "contract.grace_period_over"


def test_kind_not_in_coverage_and_period_on_non_arrears(small_caps):
    contract = make_contract(coverage=small_caps)
    with pytest.raises(RuleViolation) as err:
        file(contract, kind=LossKind.LEGAL_EVICTION, amount=1_000)
    assert err.value.field == "kind"
    with pytest.raises(RuleViolation) as err:
        file(contract, kind=LossKind.DAMAGE_REPAIRS, amount=1_000, per=period("2027-01"))
    assert err.value.field == "period"
    with pytest.raises(RuleViolation) as err:
        contract.file_claim(claim_id="x", kind=LossKind.RENT_ARREARS, amount_cents=1_000, period=None,
                            description="", evidence=evidence_for(LossKind.RENT_ARREARS), at=at(date(2027, 6, 1)), grace_days=GRACE)
    assert err.value.field == "period"


actions = st.lists(
    st.tuples(
        st.sampled_from(["file", "approve", "partial", "reject", "return", "resubmit", "withdraw", "pay"]),
        st.integers(1, 120_000),
        st.integers(0, 20),
    ),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(actions)
def test_no_sequence_of_operations_pushes_a_cap_over_its_limit(steps):
    """Whatever companies file and finance decides, approved + open money stays within every cap."""
    contract = make_contract(coverage=SMALL_CAPS)
    when = at(date(2027, 6, 1))
    for op, amount, pick in steps:
        target = contract.claims[pick % len(contract.claims)] if contract.claims else None
        try:
            if op == "file":
                file(contract, kind=LossKind.DAMAGE_REPAIRS, amount=amount, when=date(2027, 6, 1))
            elif target is None:
                continue
            elif op == "approve":
                contract.decide_claim(target.id, Decision.APPROVE, by="f", at=when)
            elif op == "partial":
                contract.decide_claim(target.id, Decision.APPROVE, by="f", at=when,
                                      approved_cents=min(amount, target.amount_cents), reason="teilweise")
            elif op in ("reject", "return"):
                contract.decide_claim(target.id, Decision(op), by="f", at=when, reason="r")
            elif op == "resubmit":
                contract.resubmit_claim(target.id, amount_cents=amount, description="d", at=when, grace_days=GRACE)
            elif op == "withdraw":
                contract.withdraw_claim(target.id)
            elif op == "pay":
                contract.record_payout(target.id, by="f", at=when, reference="ref")
        except (RuleViolation, StateConflict):
            pass
        for cap in contract.coverage.caps:
            approved = sum(c.approved_cents or 0 for c in contract.claims
                           if c.kind in cap.kinds and c.status.value in {"approved", "partially_approved", "paid"})
            open_ = sum(c.amount_cents for c in contract.claims
                        if c.kind in cap.kinds and c.status.value in {"submitted", "returned"})
            assert approved + open_ <= cap.cap_cents
            assert contract.remaining_cents(cap) == cap.cap_cents - approved - open_


@pytest.mark.parametrize(
    ("kind", "docs", "ok"),
    [
        (LossKind.RENT_ARREARS, [("rent_ledger", "application/pdf", 10)], True),
        (LossKind.RENT_ARREARS, [("invoice", "application/pdf", 10)], False),
        (LossKind.RENT_ARREARS, [], False),
        (LossKind.DAMAGE_REPAIRS, [("invoice", "image/jpeg", 10), ("photo", "image/png", 10)], True),
        (LossKind.DAMAGE_REPAIRS, [("photo", "image/png", 10)], False),
        (LossKind.DAMAGE_REPAIRS, [("invoice", "application/x-msdownload", 10)], False),
        (LossKind.DAMAGE_REPAIRS, [("invoice", "application/pdf", 5 * 1024 * 1024 + 1)], False),
        (LossKind.LEGAL_EVICTION, [("invoice", "application/pdf", 5 * 1024 * 1024)], True),
    ],
)
def test_claims_need_the_evidence_finance_decides_on(kind, docs, ok):
    contract = make_contract()
    evidence = [EvidenceInfo(EvidenceKind(k), "doc", ct, size) for k, ct, size in docs]
    per = period("2027-01") if kind is LossKind.RENT_ARREARS else None
    call = lambda: contract.file_claim(  # noqa: E731
        claim_id="x", kind=kind, amount_cents=1_000, period=per, description="d", evidence=evidence,
        at=at(date(2027, 6, 1)), grace_days=GRACE,
    )
    if ok:
        assert call().evidence == evidence
    else:
        with pytest.raises(RuleViolation) as err:
            call()
        assert err.value.field == "evidence"
        assert contract.claims == []


def shift(month: Month, n: int) -> Month:
    index = month.index + n
    return Month(index // 12, index % 12 + 1)


month_in_term = st.builds(lambda i: shift(Month(2026, 3), i), st.integers(0, 20))  # March 2026 on


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["file", "reject", "withdraw", "return", "approve"]),
                          month_in_term, st.integers(0, 3), st.integers(0, 20)), max_size=30))
def test_no_month_is_ever_covered_by_two_live_arrears_claims(steps):
    """Whatever is filed and decided, the periods of claims that still count never share a month,
    and every one of them lies inside the term."""
    contract = make_contract()
    when = at(date(2027, 12, 1))
    for op, first, length, pick in steps:
        target = contract.claims[pick % len(contract.claims)] if contract.claims else None
        try:
            if op == "file":
                file(contract, per=MonthPeriod(first, shift(first, length)), amount=1_000, when=date(2027, 12, 1))
            elif target is not None and op == "approve":
                contract.decide_claim(target.id, Decision.APPROVE, by="f", at=when)
            elif target is not None and op == "withdraw":
                contract.withdraw_claim(target.id)
            elif target is not None:
                contract.decide_claim(target.id, Decision(op), by="f", at=when, reason="r")
        except (RuleViolation, StateConflict):
            pass
    live = [c.period for c in contract.claims if c.status not in (ClaimStatus.REJECTED, ClaimStatus.WITHDRAWN)]
    months = [m for p in live for m in range(p.first.index, p.last.index + 1)]
    assert len(months) == len(set(months))
    assert all(p.first.last_day >= contract.term.start and p.last.first_day <= date(2027, 12, 1) for p in live)


def test_an_early_end_may_not_cut_off_months_already_claimed():
    contract = make_contract()
    claim = file(contract, per=period("2027-04", "2027-05"), amount=1_000)
    with pytest.raises(RuleViolation) as err:
        contract.terminate(TerminationReason.MOVE_OUT, effective_on=date(2027, 4, 30), at=at(date(2027, 6, 20)))
    assert err.value.code == "contract.claims_after_effective_date" and err.value.field == "effective_on"
    contract.terminate(TerminationReason.MOVE_OUT, effective_on=date(2027, 5, 1), at=at(date(2027, 6, 20)))
    assert contract.covered_until == date(2027, 5, 1)
    assert claim.status is ClaimStatus.SUBMITTED


def test_a_rejected_claim_does_not_hold_the_end_back():
    contract = make_contract()
    claim = file(contract, per=period("2027-05"), amount=1_000)
    contract.decide_claim(claim.id, Decision.REJECT, by="f", at=at(date(2027, 6, 16)), reason="r")
    contract.terminate(TerminationReason.NOTICE, effective_on=date(2027, 4, 30), at=at(date(2027, 6, 20)))
    assert contract.state is ContractState.TERMINATED
    assert contract.covered_until == date(2027, 4, 30), "the rejected May claim did not keep the cover going"
