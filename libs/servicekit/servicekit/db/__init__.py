"""Database plumbing: engine per service, unit of work, and the kit's own tables."""

from servicekit.db.database import Database
from servicekit.db.tables import audit_log, inbox, kit_metadata, outbox
from servicekit.db.types import UTCDateTime
from servicekit.db.uow import UnitOfWork

__all__ = ["Database", "UnitOfWork", "UTCDateTime", "audit_log", "inbox", "kit_metadata", "outbox"]
