"""Evidence stored with a claim, and which evidence each kind of loss needs.

Finance cannot decide an arrears claim without the rent ledger (Mietkonto) showing the unpaid
months, nor a damage claim without invoices; asking for them at filing saves a round trip through
"returned for more information".
"""

from __future__ import annotations

import enum
import unicodedata
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
# The extensions a file name may end in for each type; the first is the one a download is named with.
EXTENSIONS = {"application/pdf": (".pdf",), "image/png": (".png",), "image/jpeg": (".jpg", ".jpeg")}
# Unicode categories that draw nothing but change how a name reads or is handled: control characters
# (Cc), format characters (Cf: the bidi overrides U+202A-U+202E and isolates U+2066-U+2069 that turn
# "rechnung\u202efdp.exe" into "rechnungexe.pdf" on screen, zero-width characters, BOM), line and
# paragraph separators, surrogates and private use.
_INVISIBLE = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co"})
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


def normalise_filename(name: str) -> str:
    """The name as people will read it: NFC, invisible and direction-changing characters removed,
    runs of white space as one space, no leading or trailing space or dot. May be empty."""
    name = unicodedata.normalize("NFC", name)
    name = "".join(c for c in name if unicodedata.category(c) not in _INVISIBLE)
    return " ".join(name.split()).strip(" .")


def extension_matches(filename: str, content_type: str) -> bool:
    return filename.lower().endswith(EXTENSIONS.get(content_type, ("\0",)))


def served_filename(filename: str, content_type: str, kind: str) -> str:
    """The name a download is offered under: the stored name's stem with the extension of the type
    the content was checked to be (never an extension the uploader chose: "rechnung.html" holding a
    PDF is served as "rechnung.pdf"); the evidence kind when nothing of the name is left."""
    name = normalise_filename(filename)
    if "." in name and not extension_matches(name, content_type):
        name = name.rsplit(".", 1)[0]
    elif extension_matches(name, content_type):
        name = name[: -len(next(e for e in EXTENSIONS[content_type] if name.lower().endswith(e)))]
    stem = name.strip(" .") or kind
    return stem + EXTENSIONS.get(content_type, (".bin",))[0]


@dataclass(frozen=True)
class EvidenceUsage:
    documents: int
    bytes: int


def check_quota(adding: Iterable[EvidenceInfo], contract: EvidenceUsage, company_today: EvidenceUsage, quota) -> None:
    """Refuse evidence that would take a contract, or a company's uploads of the day, over its quota
    (`quota`: config.EvidenceQuota). Counted before storing, so a refused claim stores nothing."""
    docs = list(adding)
    n, size = len(docs), sum(d.size for d in docs)
    if contract.documents + n > quota.per_contract_documents or contract.bytes + size > quota.per_contract_bytes:
        raise RuleViolation(
            "claim.evidence_quota_contract",
            f"this contract already holds {contract.documents} evidence documents ({contract.bytes} bytes); at most "
            f"{quota.per_contract_documents} documents and {quota.per_contract_bytes} bytes are stored per contract",
            "evidence")
    if (company_today.documents + n > quota.per_company_day_documents
            or company_today.bytes + size > quota.per_company_day_bytes):
        raise RuleViolation(
            "claim.evidence_quota_day",
            f"the company uploaded {company_today.documents} evidence documents ({company_today.bytes} bytes) today; "
            f"at most {quota.per_company_day_documents} documents and {quota.per_company_day_bytes} bytes a day",
            "evidence")
