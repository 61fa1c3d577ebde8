"""The worker process of a service: event consumer, outbox relay and periodic jobs, each in its own
thread with its own broker connection (pika connections are not thread-safe), plus a /metrics port."""

from __future__ import annotations

import signal
import threading
import time

import structlog
from prometheus_client import REGISTRY, start_http_server
from prometheus_client.registry import Collector
from pika.exceptions import ChannelClosedByBroker

from servicekit import metrics
from servicekit.bus import topology
from servicekit.bus.connection import RECOVERABLE, close_quietly, connect
from servicekit.bus.consumer import Consumer
from servicekit.bus.relay import OutboxRelay
from servicekit.clock import Clock, SystemClock
from servicekit.db.database import Database
from servicekit.logs import configure_logging
from servicekit.privacy import crypto
from servicekit.privacy.erasure import prune_published_outbox
from servicekit.privacy.classification import personal_names
from servicekit.jobs import Job, JobContext, run_jobs
from servicekit.service import Service
from servicekit.settings import Settings

log = structlog.get_logger("servicekit.worker")


def watch_queues(settings: Settings, stop: threading.Event, every: float = 15.0) -> None:
    """Poll the depth of the service's own queues on a connection of its own (passive declares) into
    `bus_queue_messages{queue="events"|"retry"|"dlq"}`: what the "DLQ not empty" and "consumer
    queue growing" alerts read. A queue not declared yet is skipped and looked at again soon."""
    queues = {
        "events": [settings.queue],
        "retry": [topology.retry_queue(settings, ms) for ms in settings.retry_delays_ms],
        "dlq": [settings.dead_letter_queue],
    }
    connection = None
    while not stop.is_set():
        missing = False
        try:
            if connection is None or not connection.is_open:
                connection = connect(settings.bus_url, f"{settings.service}-queue-watch")
            for label, names in queues.items():
                total = 0
                for name in names:
                    channel = connection.channel()
                    try:
                        total += channel.queue_declare(name, passive=True).method.message_count
                        channel.close()
                    except ChannelClosedByBroker:  # 404: the consumer has not declared it yet
                        missing = True
                        break
                else:
                    metrics.QUEUE_MESSAGES.labels(settings.service, label).set(total)
        except RECOVERABLE as exc:
            log.warning("queue_watch.broker_unavailable", error=type(exc).__name__)
            close_quietly(connection)
            connection = None
        stop.wait(1.0 if missing or connection is None else every)
    close_quietly(connection)


class _ServiceCollector(Collector):
    """Business gauges computed from the service's database at scrape time."""

    def __init__(self, service: Service, db: Database) -> None:
        self.service = service
        self.db = db

    def collect(self):
        if not self.service.collectors:
            return
        try:
            with self.db.session() as session:
                for collect in self.service.collectors:
                    yield from collect(session)
        except Exception as exc:  # a scrape must never crash because the database blinked
            log.warning("metrics.collect_failed", error=type(exc).__name__)


class Worker:
    def __init__(self, service: Service, settings: Settings, *, db: Database | None = None, clock: Clock | None = None):
        self.service = service
        self.settings = settings
        self.db = db or Database(settings.database_url)
        self.clock = clock or SystemClock()
        self.stop = threading.Event()
        self.threads: list[threading.Thread] = []
        self.consumer = Consumer(self.db, settings, service.handlers, clock=self.clock)
        self.relay = OutboxRelay(self.db, settings)
        self.context = JobContext(settings, self.db, self.clock)

    def start(self, *, consume: bool = True, relay: bool = True, jobs: bool = True) -> "Worker":
        parts = []
        if consume and self.service.handlers:
            parts.append(("consumer", self.consumer.run))
        if relay:
            parts.append(("relay", self.relay.run))
        if jobs:
            every = [*self.service.jobs, Job("outbox-prune", 3600, prune_published_outbox)]
            parts.append(("jobs", lambda stop: run_jobs(every, self.context, stop)))
        for name, target in parts:
            thread = threading.Thread(target=target, args=(self.stop,), name=f"{self.service.name}-{name}", daemon=True)
            thread.start()
            self.threads.append(thread)
        return self

    def shutdown(self, timeout: float = 10.0) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout)
        self.threads.clear()


def main(service: Service, settings: Settings) -> None:
    configure_logging(service.name, settings.log_level, personal_names(service.metadata))
    crypto.configure(settings)
    worker = Worker(service, settings)
    REGISTRY.register(_ServiceCollector(service, worker.db))
    start_http_server(settings.worker_metrics_port, addr=settings.get("METRICS_HOST", "0.0.0.0"))

    def _terminate(signum, _frame):
        log.info("worker.stopping", signal=signum)
        worker.stop.set()

    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, _terminate)
    worker.start()
    if service.handlers:
        threading.Thread(target=watch_queues, args=(settings, worker.stop), name=f"{service.name}-queues",
                         daemon=True).start()
    log.info("worker.started", service=service.name, metrics_port=settings.worker_metrics_port)
    while not worker.stop.is_set():
        worker.stop.wait(1.0)
        if not all(t.is_alive() for t in worker.threads):
            log.error("worker.thread_died")
            worker.stop.set()
    worker.shutdown()
