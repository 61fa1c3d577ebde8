"""servicekit: the plumbing every WohnenPlus service is built from, so services hold only their domain."""

from servicekit.service import Job, Service

__all__ = ["Job", "Service"]
