"""Documents people read: the guarantee contract and its account statement as tagged PDF/A.

`model` is what they show, `templates/` their German wording, `pdf` renders them.
"""

from .model import (
    CapLine,
    ContractDocument,
    Signature,
    StatementCap,
    StatementClaim,
    StatementDocument,
)
from .pdf import preload, render_contract_pdf, render_statement_pdf

__all__ = [
    "CapLine",
    "ContractDocument",
    "Signature",
    "StatementCap",
    "StatementClaim",
    "StatementDocument",
    "preload",
    "render_contract_pdf",
    "render_statement_pdf",
]
