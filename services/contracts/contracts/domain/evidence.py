"""Evidence stored with a claim, and which evidence each kind of loss needs.

Finance cannot decide an arrears claim without the rent ledger (Mietkonto) showing the unpaid
months, nor a damage claim without invoices; asking for them at filing saves a round trip through
"returned for more information".
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from .coverage import LossKind
from .errors import RuleViolation


class EvidenceKind(enum.StrEnum):
    RENT_LEDGER = "rent_ledger"  # Mietkonto / Mieterkontoauszug
    INVOICE = "invoice"  # craftsman's, lawyer's, court or bailiff invoice
    PHOTO = "photo"
    OTHER = "other"


REQUIRED: dict[LossKind, EvidenceKind] = {
    LossKind.RENT_ARREARS: EvidenceKind.RENT_LEDGER,
    LossKind.DAMAGE_REPAIRS: EvidenceKind.INVOICE,
    LossKind.RENOVATION_MOVE_OUT: EvidenceKind.INVOICE,
    LossKind.LEGAL_EVICTION: EvidenceKind.INVOICE,
}

ALLOWED_CONTENT_TYPES = frozenset({"application/pdf", "image/jpeg", "image/png"})
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
MAX_DOCUMENTS = 10


@dataclass(frozen=True)
class EvidenceInfo:
    """What the domain needs to know about an uploaded document (the bytes stay in storage)."""

    kind: EvidenceKind
    filename: str
    content_type: str
    size: int


def check_evidence(kind: LossKind, documents: Iterable[EvidenceInfo]) -> None:
    docs = list(documents)
    if len(docs) > MAX_DOCUMENTS:
        raise RuleViolation("claim.too_many_documents", f"at most {MAX_DOCUMENTS} documents per claim", "evidence")
    for doc in docs:
        if doc.content_type not in ALLOWED_CONTENT_TYPES:
            raise RuleViolation(
                "claim.evidence_type",
                f"{doc.filename}: content type must be one of {', '.join(sorted(ALLOWED_CONTENT_TYPES))}",
                "evidence",
            )
        if not 0 < doc.size <= MAX_DOCUMENT_BYTES:
            raise RuleViolation(
                "claim.evidence_size", f"{doc.filename}: a document has 1 byte to {MAX_DOCUMENT_BYTES} bytes", "evidence"
            )
    needed = REQUIRED[kind]
    if not any(doc.kind is needed for doc in docs):
        raise RuleViolation("claim.evidence_missing", f"a {kind} claim needs at least one {needed} document", "evidence")
