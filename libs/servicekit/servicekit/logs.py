"""JSON logs through structlog. Log events name what happened and carry ids of things, never the
personal or social data of people (names, contacts, needs, free texts)."""

from __future__ import annotations

import logging
import re
import sys
from typing import Iterable

import structlog

REDACTED = "[redacted]"
# Always withheld, whatever the service declares: the generic names people data travels under.
_ALWAYS = frozenset({"name", "email", "phone", "street", "address", "description", "text", "note", "reason"})
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")


class Redactor:
    """A structlog processor: values under personal field names are withheld, and anything that
    looks like an email address is masked wherever it appears (an exception text, say)."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        self.names = _ALWAYS | frozenset(names)

    def __call__(self, logger, method, event_dict: dict) -> dict:
        for key, value in event_dict.items():
            if key in self.names and value is not None:
                event_dict[key] = REDACTED
            elif isinstance(value, str) and "@" in value:
                event_dict[key] = _EMAIL.sub("[email]", value)
        return event_dict


def configure_logging(service: str, level: str = "INFO", personal_names: Iterable[str] = ()) -> None:
    shared = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, Redactor(personal_names),
                    structlog.processors.JSONRenderer()],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(sys.stdout),
        cache_logger_on_first_use=True,
    )
    structlog.contextvars.bind_contextvars(service=service)
    logging.basicConfig(stream=sys.stdout, level=level.upper(), format="%(message)s")
    # pika logs every refused connection with a traceback; the kit reports outages itself, once.
    logging.getLogger("pika").setLevel(logging.CRITICAL)
