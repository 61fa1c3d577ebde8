from __future__ import annotations

import itertools
from datetime import date, datetime, time, timezone

from contracts.config import load_program_config
from contracts.domain import BERLIN, Coverage, GuaranteeContract, Party

_ids = itertools.count(1)


def at(day: date, hour: int = 12) -> datetime:
    """Noon in Stuttgart on `day`, as an aware datetime."""
    return datetime.combine(day, time(hour), tzinfo=BERLIN).astimezone(timezone.utc)


def make_contract(
    lease_start: date = date(2026, 3, 1),
    *,
    coverage: Coverage | None = None,
    rent: int = 80_000,
    active: bool = True,
    term_years: int = 5,
) -> GuaranteeContract:
    config = load_program_config()
    contract = GuaranteeContract.create(
        id=f"c-{next(_ids)}",
        contract_no="GV-2026-00001",
        company_id="company-a",
        household_id="household-1",
        proposal_id="proposal-1",
        lease_start=lease_start,
        coverage=coverage or config.coverage,
        monthly_covered_rent_cents=rent,
        term_years=term_years,
    )
    if active:
        contract.sign(Party.CITY, by="staff-1", at=at(lease_start))
        contract.sign(Party.COMPANY, by="company-user", at=at(lease_start))
    contract.events.clear()
    return contract




# Small caps so that tests reach them with few claims; repairs and move-out share one cap as in
# the shipped configuration.
SMALL_CAPS = Coverage.of(
    [
        {"name": "rent_arrears", "kinds": ["rent_arrears"], "cap_cents": 300_000},
        {"name": "repairs", "kinds": ["damage_repairs", "renovation_move_out"], "cap_cents": 100_000},
    ]
)
