"""What a service declares about itself; servicekit builds its web app and worker from this."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

if TYPE_CHECKING:
    from flask_smorest import Api
    from prometheus_client.core import Metric
    from sqlalchemy import MetaData
    from sqlalchemy.orm import Session

    from servicekit.bus.envelope import Event
    from servicekit.db.uow import UnitOfWork
    from servicekit.privacy.records import Processing
    from servicekit.worker import JobContext

Handler = Callable[["UnitOfWork", "Event"], None]
"""An event handler: runs inside the unit of work whose transaction also records the inbox entry."""


@dataclass(frozen=True)
class Job:
    """A periodic job of the worker (expire proposals, book appointments, send mail, ...)."""

    name: str
    every_seconds: float
    run: Callable[["JobContext"], Any]


@dataclass
class Service:
    name: str
    package: str
    web_port: int
    worker_metrics_port: int
    title: str
    description: str = ""
    register_api: Callable[["Api"], None] | None = None
    handlers: dict[str, Handler] = field(default_factory=dict)
    jobs: list[Job] = field(default_factory=list)
    # Business gauges read from the database when Prometheus scrapes the worker.
    collectors: list[Callable[["Session"], Iterable["Metric"]]] = field(default_factory=list)
    # Called once per app with the Flask app, e.g. to attach the service's configuration.
    configure_app: Callable[[Any], None] | None = None
    # The service's declarative metadata: its column classification drives log redaction, key
    # rotation, the records of processing and the checks on unclassified columns.
    metadata: "MetaData | None" = None
    # Everything the service holds about one household, as {"table": rows}, for the access export.
    export_household: Callable[["Session", str], dict[str, Iterable[Any]]] | None = None
    # Purpose, legal basis, recipients and retention, for the records of processing (Art. 30).
    processing: "Processing | None" = None

    @property
    def bindings(self) -> list[str]:
        return sorted(self.handlers)

    @property
    def migrations_dir(self) -> Path:
        return Path(import_module(self.package).__file__).parent / "migrations"



def _entry_points(**select):
    from importlib.metadata import entry_points  # on demand: the CLI's token command needs no services

    return entry_points(group="wohnenplus.services", **select)

def discover() -> dict[str, Service]:
    """Every installed service, via the `wohnenplus.services` entry point group."""
    found: dict[str, Service] = {}
    for ep in _entry_points():
        found[ep.name] = ep.load()
    return dict(sorted(found.items(), key=lambda kv: kv[1].web_port))


def names() -> list[str]:
    """The installed services' names, without importing them."""
    return sorted(ep.name for ep in _entry_points())


def load(name: str) -> Service:
    """One service, importing only its own package (a web process needs no other service's code)."""
    found = _entry_points(name=name)
    if not found:
        installed = ", ".join(ep.name for ep in _entry_points())
        raise KeyError(f"unknown service {name!r}; installed: {installed or 'none'}")
    return next(iter(found)).load()
