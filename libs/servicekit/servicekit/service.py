"""What a service declares about itself; servicekit builds its web app and worker from this."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

from marshmallow import ValidationError

from servicekit.jobs import Job

if TYPE_CHECKING:
    from flask_smorest import Api
    from prometheus_client.core import Metric
    from sqlalchemy import MetaData
    from sqlalchemy.orm import Session

    from servicekit.bus.envelope import Event
    from servicekit.db.uow import UnitOfWork
    from servicekit.privacy.records import Processing

Handler = Callable[["UnitOfWork", "Event"], None]
"""An event handler: runs inside the unit of work whose transaction also records the inbox entry."""


class UnknownEventVersion(ValidationError):
    """An event in a version this service does not read. Retrying cannot help, so the consumer
    dead-letters it at once (a ValidationError is its "invalid data" case) with this as the reason;
    an operator replays it once a release that reads the version is out."""


class VersionedHandler:
    """The handlers of one event type, per envelope version this service reads.

    A producer changing an event incompatibly publishes the new version beside the old one for a
    while, each message naming the versions the fact went out in (the envelope's
    `published_versions`). Of those, a consumer handles the newest it reads and acknowledges the
    others without effect, so the fact takes effect once whichever versions it knows. A version it
    does not read, with no sibling it does, is dead-lettered (UnknownEventVersion).
    """

    def __init__(self, by_version: dict[int, Handler]) -> None:
        if not by_version or any(not isinstance(v, int) or v < 1 for v in by_version):
            raise ValueError("versions are positive integers, at least one")
        self.by_version = dict(sorted(by_version.items()))

    @property
    def versions(self) -> tuple[int, ...]:
        return tuple(self.by_version)

    def chosen(self, event: "Event") -> Handler | None:
        """The handler for this message; None when a sibling version of it is the one to handle."""
        published = {event.version, *getattr(event, "published_versions", ())}
        readable = published & set(self.by_version)
        if event.version in self.by_version and event.version == max(readable):
            return self.by_version[event.version]
        if readable:
            return None
        raise UnknownEventVersion(
            f"{event.type} version {event.version} is not read here (this service reads version(s) "
            f"{', '.join(map(str, self.versions))}); replay it after a release that reads it")

    def __call__(self, uow: "UnitOfWork", event: "Event") -> None:
        handler = self.chosen(event)
        if handler is not None:
            handler(uow, event)

    def __repr__(self) -> str:
        return f"VersionedHandler({ {v: getattr(h, '__name__', h) for v, h in self.by_version.items()} })"


def versioned(by_version: dict[int, Handler]) -> VersionedHandler:
    """Declare the versions of an event a service reads: `versioned({1: on_v1, 2: on_v2})`."""
    return VersionedHandler(by_version)


def as_versioned(handler: Handler) -> VersionedHandler:
    """A plain handler reads version 1, the only version there was before versions were declared."""
    return handler if isinstance(handler, VersionedHandler) else VersionedHandler({1: handler})


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

    def __post_init__(self) -> None:
        # Every handler reads declared versions; the consumer's one dispatch path enforces them.
        self.handlers = {event_type: as_versioned(h) for event_type, h in self.handlers.items()}

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
