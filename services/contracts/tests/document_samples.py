"""Contract and statement documents as the queries build them, for the document tests and benchmarks."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timezone

from contracts.config import ProgramConfig, load_program_config
from contracts.documents import (
    CapLine,
    ContractDocument,
    Signature,
    StatementCap,
    StatementClaim,
    StatementDocument,
)


def caps_of(config: ProgramConfig) -> tuple[CapLine, ...]:
    """As the contract stores them (kinds sorted, like `Coverage.to_json`)."""
    return tuple(CapLine(c.name, tuple(sorted(k.value for k in c.kinds)), c.cap_cents) for c in config.coverage.caps)


def contract_document(config: ProgramConfig | None = None, **changes) -> ContractDocument:
    """An active contract whose lease starts on a leap day (29.02.2028 → 28.02.2033)."""
    config = config or load_program_config()
    base = dict(
        contract_no="GV-2028-00042", state="active",
        company_name="Wohnbau Süd GmbH", company_address="Königstraße 1, 70173 Stuttgart",
        household_name="Jürgen Müßiggang", household_reference="HH-2028-17",
        flat_street="Böblinger Straße 12", flat_postal_code="70178", flat_city="Stuttgart", flat_district="Süd",
        lease_start=date(2028, 2, 29), cold_rent_cents=61_800, service_charges_cents=15_050, heating_cents=8_000,
        term_start=date(2028, 2, 29), term_end=date(2033, 2, 28), caps=caps_of(config),
        city_signature=Signature(datetime(2028, 2, 20, 8, 30, tzinfo=timezone.utc), "staff-anna"),
        company_signature=Signature(datetime(2028, 2, 21, 9, 0, tzinfo=timezone.utc), "wohnbau-sued-1"),
        generated_at=datetime(2028, 3, 1, 10, 0, tzinfo=timezone.utc),
        term_years=5, claim_grace_period_days=config.claim_grace_period_days,
        expiry_notice_days=config.expiry_notice_days, config_version=config.version,
        guarantor=config.guarantor, lease_unlimited=True,
    )
    base.update(changes)
    return ContractDocument(**base)


def statement_document(config: ProgramConfig | None = None, **changes) -> StatementDocument:
    """The account of `contract_document()` after one paid, one partly approved and one open claim."""
    config = config or load_program_config()
    base = dict(
        contract_no="GV-2028-00042", state="active", company_name="Wohnbau Süd GmbH",
        term_start=date(2028, 2, 29), term_end=date(2033, 2, 28),
        caps=(
            StatementCap("rent_arrears", ("rent_arrears",), 1_200_000, open_cents=153_700,
                         approved_cents=0, paid_cents=230_550),
            StatementCap("repairs_subsidy", ("damage_repairs", "renovation_move_out"), 1_000_000,
                         open_cents=0, approved_cents=120_000, paid_cents=0),
            StatementCap("legal_eviction", ("legal_eviction",), 500_000, 0, 0, 0),
        ),
        claims=(
            StatementClaim(date(2029, 1, 10), "rent_arrears", "10/2028–12/2028", 230_550, "paid", 230_550,
                           date(2029, 2, 1), "KZ-2029-0815"),
            StatementClaim(date(2029, 5, 3), "damage_repairs", None, 150_000, "partially_approved", 120_000,
                           None, None),
            StatementClaim(date(2029, 6, 2), "rent_arrears", "04/2029–05/2029", 153_700, "submitted", None,
                           None, None),
        ),
        generated_at=datetime(2029, 6, 3, 7, 0, tzinfo=timezone.utc),
        claim_grace_period_days=config.claim_grace_period_days, guarantor=config.guarantor,
    )
    base.update(changes)
    return StatementDocument(**base)


def with_guarantor(config: ProgramConfig, **changes) -> ProgramConfig:
    return dataclasses.replace(config, guarantor=dataclasses.replace(config.guarantor, **changes))
