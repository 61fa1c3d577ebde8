"""Social data protection: classification of stored fields, purpose-bound views, the access log,
encryption of free text at rest, retention and erasure, and the access export (Art. 15 GDPR)."""

from servicekit.privacy.access import record_access
from servicekit.privacy.classification import (
    CONTACT,
    FREE_TEXT,
    IDENTIFYING,
    SOCIAL,
    Category,
    not_personal,
    personal,
    unclassified,
)
from servicekit.privacy.crypto import EncryptedText
from servicekit.privacy.erasure import ERASURE_REQUESTED, erase, erased_event, forget_traces, retention_days
from servicekit.privacy.records import Processing
from servicekit.privacy.views import ALL, PurposeBoundSchema, Views

__all__ = [
    "ALL", "CONTACT", "ERASURE_REQUESTED", "FREE_TEXT", "IDENTIFYING", "SOCIAL", "Category", "EncryptedText",
    "Processing", "PurposeBoundSchema", "Views", "erase", "erased_event", "forget_traces", "not_personal",
    "personal", "record_access", "retention_days", "unclassified",
]
