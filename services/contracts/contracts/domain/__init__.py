"""The pure domain of the contracts service: no I/O, no Flask, no SQLAlchemy, no pika.

Modules: `term` (5-year term), `months` (arrears periods), `numbering` (contract numbers),
`coverage` (kinds of loss and caps), `claims` (one claim's life cycle), `contract` (the guarantee
contract aggregate with the cross-claim rules), `evidence` (documents a claim needs),
`incidents` (early reports), `expiry` (end-of-term schedule), `errors`, `events`.
"""

from .claims import Claim, ClaimStatus, Decision
from .contract import BERLIN, ContractState, GuaranteeContract, Party, TerminationReason, berlin_date
from .coverage import Cap, Coverage, LossKind
from .errors import DomainError, RuleViolation, StateConflict
from .events import DomainEvent
from .evidence import EvidenceInfo, EvidenceKind
from .expiry import Expire, SendNotice, due_action
from .incidents import Incident, IncidentKind, Severity, report_incident
from .months import Month, MonthPeriod
from .numbering import format_contract_no, parse_contract_no
from .term import Term, anniversary

__all__ = [
    "BERLIN", "Cap", "Claim", "ClaimStatus", "ContractState", "Coverage", "Decision", "DomainError",
    "DomainEvent", "EvidenceInfo", "EvidenceKind", "Expire", "Incident", "IncidentKind", "Severity", "report_incident", "GuaranteeContract", "LossKind", "Month", "MonthPeriod", "Party",
    "RuleViolation", "SendNotice", "StateConflict", "Term", "TerminationReason", "anniversary",
    "berlin_date", "due_action", "format_contract_no", "parse_contract_no",
]
