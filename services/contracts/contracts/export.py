"""The access export (Art. 15 GDPR): everything contracts holds about one household, by table.

Evidence files are listed with kind, name, size and SHA-256, not their bytes: a 5 MB scan in the
bundle would drown the readable summary. The content row names what the file is; the social
office hands out copies of the files themselves.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from contracts.models import Claim, ClaimDocument, Contract, ErasureRequest, Incident, Tenancy


def _document(doc: ClaimDocument) -> ClaimDocument:
    """A detached copy whose content says what the file is instead of carrying it."""
    note = (f"Datei {doc.content_type}, {doc.size} Bytes, SHA-256 {doc.sha256}; Kopie beim Sozialamt erhältlich"
            if doc.content else "Inhalt gelöscht")
    return ClaimDocument(id=doc.id, claim_id=doc.claim_id, kind=doc.kind, filename=doc.filename,
                         content_type=doc.content_type, size=doc.size, sha256=doc.sha256, content=note,
                         uploaded_at=doc.uploaded_at)


def export_household(session: Session, household_id: str) -> dict[str, list[Any]]:
    claims = list(session.scalars(select(Claim).where(Claim.household_id == household_id)
                                  .order_by(Claim.first_submitted_at, Claim.id)))
    documents = [_document(d) for c in claims for d in c.documents]
    return {
        "tenancies": list(session.scalars(select(Tenancy).where(Tenancy.household_id == household_id)
                                          .order_by(Tenancy.recorded_at, Tenancy.id))),
        "contracts": list(session.scalars(select(Contract).where(Contract.household_id == household_id)
                                          .order_by(Contract.created_at, Contract.id))),
        "claims": claims,
        "claim_documents": documents,
        "incidents": list(session.scalars(select(Incident).where(Incident.household_id == household_id)
                                          .order_by(Incident.reported_at, Incident.id))),
        "erasure_requests": list(session.scalars(select(ErasureRequest).where(
            ErasureRequest.household_id == household_id).order_by(ErasureRequest.received_at))),
    }
