"""Prometheus metrics of the plumbing. Labels never carry personal data or ids of people.

Web processes run under gunicorn in multiprocess mode (PROMETHEUS_MULTIPROC_DIR set by the CLI
before Python starts); worker processes use the ordinary registry and serve it themselves.
"""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess
from prometheus_client import REGISTRY, CONTENT_TYPE_LATEST

HTTP_REQUESTS = Counter(
    "http_requests_total", "HTTP requests answered", ["service", "method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["service", "method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
EVENTS_PUBLISHED = Counter("bus_events_published_total", "Events confirmed by the broker", ["service", "type"])
PUBLISH_FAILURES = Counter(
    "bus_publish_failures_total", "Publish attempts the broker did not confirm", ["service", "reason"]
)
EVENTS_CONSUMED = Counter(
    "bus_events_consumed_total",
    "Events taken off the service's queue, by outcome (handled, duplicate, retried, waiting, dead_lettered)",
    ["service", "type", "outcome"],
)
HANDLER_LATENCY = Histogram(
    "bus_handler_duration_seconds", "Time to handle one event", ["service", "type"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0),
)
OUTBOX_PENDING = Gauge("outbox_pending_events", "Outbox rows not yet confirmed by the broker", ["service"])
OUTBOX_OLDEST_AGE = Gauge(
    "outbox_oldest_pending_age_seconds", "Age of the oldest unpublished outbox row", ["service"]
)
JOB_RUNS = Counter("worker_job_runs_total", "Periodic job runs", ["service", "job", "outcome"])
JOB_LATENCY = Histogram("worker_job_duration_seconds", "Time of one periodic job run", ["service", "job"])
BUS_CONNECTED = Gauge("bus_connected", "1 while the worker's consumer is connected to the broker", ["service"])
BUS_CONNECTS = Counter(
    "bus_consumer_connects_total", "Connections the consumer opened (each reconnect returns its unacked messages)",
    ["service"],
)
QUEUE_MESSAGES = Gauge(
    "bus_queue_messages",
    "Messages ready in the service's own queues (queue: events, retry, dlq), polled by the worker",
    ["service", "queue"],
)


def exposition() -> tuple[bytes, str]:
    """The text to answer a scrape with: all gunicorn workers' values when in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
