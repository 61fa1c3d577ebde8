"""JSON logs through structlog. Log events name what happened and carry ids of things, never the
personal or social data of people (names, contacts, needs, free texts)."""

from __future__ import annotations

import logging
import sys

import structlog


def configure_logging(service: str, level: str = "INFO") -> None:
    shared = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, structlog.processors.JSONRenderer()],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(sys.stdout),
        cache_logger_on_first_use=True,
    )
    structlog.contextvars.bind_contextvars(service=service)
    logging.basicConfig(stream=sys.stdout, level=level.upper(), format="%(message)s")
    # pika logs every refused connection with a traceback; the kit reports outages itself, once.
    logging.getLogger("pika").setLevel(logging.CRITICAL)
