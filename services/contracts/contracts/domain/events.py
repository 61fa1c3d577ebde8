"""Domain events: what happened, as the aggregate saw it (the kit's `DomainEvent`).

The use cases hand each aggregate to `uow.publish_recorded`, which writes its events to the outbox
in the same transaction as the state change. The `data` dictionaries follow the event catalogue in
DESIGN.md §4 and the service's asyncapi.yaml.
"""

from servicekit.domain import DomainEvent

__all__ = ["DomainEvent"]
