"""Human contract numbers `GV-<year>-<5 digits>`, e.g. `GV-2026-00042`.

Only the formatting lives here. The gap-free sequence per year is a database row locked while a
contract is created (see the repository), so that a number is taken only by a committed contract.
"""

from __future__ import annotations

import re

PREFIX = "GV"
MAX_SEQUENCE = 99_999
_NUMBER_RE = re.compile(r"^GV-(\d{4})-(\d{5})$")


def format_contract_no(year: int, sequence: int) -> str:
    if not 1000 <= year <= 9999:
        raise ValueError(f"year out of range: {year}")
    if not 1 <= sequence <= MAX_SEQUENCE:
        # More than 99,999 guarantees in one year is far beyond the programme's scale; failing
        # loudly beats silently widening a number printed on signed contracts.
        raise ValueError(f"sequence out of range 1..{MAX_SEQUENCE}: {sequence}")
    return f"{PREFIX}-{year:04d}-{sequence:05d}"


def parse_contract_no(text: str) -> tuple[int, int]:
    """(year, sequence) of a contract number; ValueError when it is not one."""
    match = _NUMBER_RE.match(text)
    if not match or int(match.group(2)) == 0:
        raise ValueError(f"not a contract number: {text!r}")
    return int(match.group(1)), int(match.group(2))
