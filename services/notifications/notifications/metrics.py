"""Notification metrics. Labels are channels, states, outcomes and event types: never recipients."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Iterable

from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from notifications.domain.delivery import DeliveryStatus
from notifications.models import Notification

ATTEMPTS = Counter(
    "notification_delivery_attempts_total",
    "Delivery attempts by channel and outcome (delivered, retry, failed)",
    ["channel", "outcome"],
)
CREATED = Counter(
    "notifications_created_total", "Notifications written, by channel", ["channel"]
)
LATENCY = Histogram(
    "notification_delivery_latency_seconds",
    "From the notification being written to its successful delivery",
    ["channel"],
    buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 6 * 3600, 24 * 3600),
)


def collect(session: Session) -> Iterable[Metric]:
    """Messages by channel and state, and the backlog (due or waiting), read at scrape time."""
    by_state = GaugeMetricFamily(
        "notifications", "Notifications by channel and state", labels=["channel", "state"]
    )
    for channel, state, count in session.execute(
        select(Notification.channel, Notification.state, func.count()).group_by(
            Notification.channel, Notification.state
        )
    ):
        by_state.add_metric([channel, state], count)
    yield by_state
    backlog = GaugeMetricFamily(
        "notification_backlog_oldest_seconds",
        "Age of the oldest notification still waiting for delivery",
        labels=["channel"],
    )
    now = datetime.now(timezone.utc)
    for channel, oldest in session.execute(
        select(Notification.channel, func.min(Notification.created_at))
        .where(Notification.state == DeliveryStatus.PENDING.value)
        .group_by(Notification.channel)
    ):
        if oldest is not None:
            if oldest.tzinfo is None:
                oldest = oldest.replace(tzinfo=timezone.utc)
            backlog.add_metric([channel], (now - oldest).total_seconds())
    yield backlog
