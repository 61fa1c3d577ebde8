"""Documents people read: the German PDF of a guarantee contract (`pdf.render_contract_pdf`)."""

from .pdf import CapLine, ContractDocument, render_contract_pdf

__all__ = ["CapLine", "ContractDocument", "render_contract_pdf"]
