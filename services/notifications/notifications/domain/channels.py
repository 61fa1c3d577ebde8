"""Which channels a recipient gets for one route."""

from __future__ import annotations

from .catalogue import Channel, Role
from .routing import Route


def channels_for(route: Route, *, has_email: bool, has_webhook: bool) -> list[Channel]:
    """Inbox always (nothing is lost when no address is known); email when the directory has a
    usable address; webhook when the route is meant for company systems and the company
    registered an endpoint."""
    channels = [Channel.INBOX]
    if has_email:
        channels.append(Channel.EMAIL)
    if route.webhook and route.role is Role.COMPANY and has_webhook:
        channels.append(Channel.WEBHOOK)
    if route.only_channels is not None:
        channels = [c for c in channels if c.value in route.only_channels]
    return channels
