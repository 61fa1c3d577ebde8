"""Configuration defaults shipped as data files.

`program.json` holds the guarantee programme's figures (guarantor, term, caps, grace period, notice days,
evidence storage quotas); its
`_about` says where each figure comes from and how to update it. A deployment replaces it by a
`program.json` in the folder `CONTRACTS_CONFIG_DIR` names (servicekit's one loader, `ConfigFiles`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from servicekit.config import ConfigFiles

from contracts.domain.coverage import Coverage

FILES = ConfigFiles("contracts", __name__)
RENT_PARTS = frozenset({"cold_rent", "service_charges", "heating"})  # a tenancy's rent figures


@dataclass(frozen=True)
class Guarantor:
    """Who gives the guarantee, as the contract documents name it."""

    name: str  # the city, e.g. "Landeshauptstadt Stuttgart"
    office: str  # the office acting for it, where the fixed contact person sits
    seat: str  # place of jurisdiction


@dataclass(frozen=True)
class EvidenceQuota:
    """How much evidence may be stored: per contract (ever) and per company per Berlin day."""

    per_contract_documents: int = 100
    per_contract_bytes: int = 100 * 1024 * 1024
    per_company_day_documents: int = 200
    per_company_day_bytes: int = 250 * 1024 * 1024

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> EvidenceQuota:
        values = {k: int(v) for k, v in (data or {}).items()}
        unknown = set(values) - set(cls.__dataclass_fields__)
        if unknown or any(v < 1 for v in values.values()):
            raise ValueError(f"program config: evidence_quota takes positive {sorted(cls.__dataclass_fields__)}")
        return cls(**values)


@dataclass(frozen=True)
class ProgramConfig:
    version: str
    guarantor: Guarantor
    term_years: int
    claim_grace_period_days: int
    expiry_notice_days: tuple[int, ...]
    coverage: Coverage
    # What one month of rent arrears can be at most: the parts of the rent the guarantee covers
    rent_arrears_covers: tuple[str, ...] = ("cold_rent", "service_charges")
    evidence_quota: EvidenceQuota = EvidenceQuota()

    def covered_rent_cents(self, tenancy: Any) -> int:
        """The most one month of arrears can be for `tenancy` (its `<part>_cents` figures)."""
        return sum(getattr(tenancy, f"{part}_cents") or 0 for part in self.rent_arrears_covers)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProgramConfig:
        notice_days = tuple(sorted({int(d) for d in data["expiry_notice_days"]["value"]}, reverse=True))
        config = cls(
            version=str(data["version"]),
            guarantor=Guarantor(**{k: str(data["guarantor"]["value"][k]) for k in ("name", "office", "seat")}),
            term_years=int(data["term_years"]["value"]),
            claim_grace_period_days=int(data["claim_grace_period_days"]["value"]),
            expiry_notice_days=notice_days,
            coverage=Coverage.of(data["caps"]),
            rent_arrears_covers=tuple(data["rent_arrears_covers"]["value"]),
            evidence_quota=EvidenceQuota.from_dict(data.get("evidence_quota", {}).get("value")),
        )
        if not all((config.guarantor.name, config.guarantor.office, config.guarantor.seat)):
            raise ValueError("program config: guarantor name, office and seat required")
        if not config.rent_arrears_covers or set(config.rent_arrears_covers) - RENT_PARTS:
            raise ValueError(f"program config: rent_arrears_covers takes some of {sorted(RENT_PARTS)}")
        if config.term_years < 1 or config.claim_grace_period_days < 0 or any(d <= 0 for d in notice_days):
            raise ValueError("program config: term_years >= 1, grace >= 0 and notice days > 0 required")
        return config


def load_program_config(path: str | os.PathLike[str] | None = None) -> ProgramConfig:
    """The programme configuration: `path`, else the deployment's or the shipped program.json."""
    if path:
        return ProgramConfig.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
    return ProgramConfig.from_dict(FILES.read("program.json"))


@lru_cache(maxsize=1)
def program_config() -> ProgramConfig:
    """The programme configuration the service runs with (read once)."""
    return load_program_config()
