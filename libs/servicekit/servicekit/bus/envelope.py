"""The event envelope of DESIGN.md section 4, and the AMQP properties that go with it."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import pika

ENVELOPE_VERSION = 1


class MalformedEvent(ValueError):
    """A message that is not a valid envelope; it can never succeed, so it is dead-lettered at once."""


def _iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise TypeError("naive datetime in event data")
        return _iso(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


@dataclass(frozen=True)
class Event:
    type: str
    data: dict[str, Any]
    source: str
    correlation_id: str
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    occurred_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    version: int = ENVELOPE_VERSION
    # Set while a producer publishes one fact in several versions (a transition after an
    # incompatible change): every version's message lists them all, so a consumer handles the
    # newest it reads and skips the others (servicekit.service.VersionedHandler). Left out of the
    # body when empty: single-version bodies stay exactly as before.
    published_versions: tuple[int, ...] = ()

    def to_json(self) -> str:
        return json.dumps(
            {
                "id": self.id,
                "type": self.type,
                "version": self.version,
                "occurred_at": _iso(self.occurred_at),
                "source": self.source,
                "correlation_id": self.correlation_id,
                "data": self.data,
                **({"published_versions": list(self.published_versions)} if self.published_versions else {}),
            },
            default=_json_default,
            ensure_ascii=False,
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, body: bytes | str) -> "Event":
        try:
            raw = json.loads(body)
            if not isinstance(raw, dict) or not isinstance(raw.get("data"), dict):
                raise MalformedEvent("envelope must be an object with an object 'data'")
            occurred = datetime.fromisoformat(str(raw["occurred_at"]).replace("Z", "+00:00"))
            if occurred.tzinfo is None:
                raise MalformedEvent("occurred_at must carry a time zone")
            event = cls(
                id=str(uuid.UUID(str(raw["id"]))),
                type=str(raw["type"]),
                version=int(raw["version"]),
                occurred_at=occurred,
                source=str(raw["source"]),
                correlation_id=str(raw["correlation_id"]),
                data=raw["data"],
                published_versions=tuple(int(v) for v in raw.get("published_versions") or ()),
            )
        except MalformedEvent:
            raise
        except (ValueError, KeyError, TypeError) as exc:
            raise MalformedEvent(f"not a valid event envelope: {exc.__class__.__name__}") from exc
        return event

    def properties(self, headers: dict[str, Any] | None = None) -> pika.BasicProperties:
        return pika.BasicProperties(
            delivery_mode=pika.DeliveryMode.Persistent,
            content_type="application/json",
            content_encoding="utf-8",
            message_id=self.id,
            type=self.type,
            timestamp=int(self.occurred_at.timestamp()),
            correlation_id=self.correlation_id,
            app_id=self.source,
            headers=headers or {},
        )
