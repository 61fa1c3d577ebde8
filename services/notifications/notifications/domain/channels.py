"""Which channels a recipient gets for one route."""

from __future__ import annotations

from .catalogue import Channel, Role
from .routing import Route


def channels_for(route: Route, *, has_email: bool, has_webhook: bool) -> list[Channel]:
    """Inbox for everybody who can log in to read it (nothing is lost when no address is known);
    email when the directory has a usable address; webhook when the route is meant for company
    systems and the company registered an endpoint.

    Households have no login anywhere in WohnenPlus, so an inbox row for them would be social
    data kept for a year that nobody reads: they get email only, and a household without an
    address gets nothing stored. What its messages say reaches it anyway through people who do
    have an inbox: its contact person hears of every appointment and of the case, its company of
    the lease."""
    channels = [] if route.role is Role.HOUSEHOLD else [Channel.INBOX]
    if has_email:
        channels.append(Channel.EMAIL)
    if route.webhook and route.role is Role.COMPANY and has_webhook:
        channels.append(Channel.WEBHOOK)
    if route.only_channels is not None:
        channels = [c for c in channels if c.value in route.only_channels]
    return channels
