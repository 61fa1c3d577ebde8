"""servicekit: the plumbing every WohnenPlus service is built from, so services hold only their domain."""

from servicekit.jobs import Job
from servicekit.service import Service

__all__ = ["Job", "Service"]
