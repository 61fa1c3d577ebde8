"""The after-request hook that makes every answered read a logged read: the access log is written
(`servicekit.privacy.access`) before a byte leaves, and if it cannot be, the caller gets the
failure answer instead of the data."""

from __future__ import annotations

from flask import Response

from servicekit.privacy import access
from servicekit.web.problems import after_failure


def log_reads_or_withhold(response: Response) -> Response:
    try:
        access.write_noted_reads(response)
    except Exception as exc:
        return after_failure(exc)
    return response
