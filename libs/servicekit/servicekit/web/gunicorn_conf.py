"""gunicorn settings for every web process. The CLI sets PROMETHEUS_MULTIPROC_DIR (emptied at start)
before gunicorn starts, so all workers write their metrics to files that /metrics aggregates."""

import os

from prometheus_client import multiprocess

bind = [f"0.0.0.0:{os.environ.get('PORT', '8000')}"]
# METRICS_PORT (set through the CLI): /metrics gets a listener of its own, on METRICS_HOST, which
# operators keep internal (not published, NetworkPolicy); the API port then no longer answers it.
if os.environ.get("METRICS_BIND"):
    bind.append(os.environ["METRICS_BIND"])
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "sync"
timeout = 30
graceful_timeout = 20
keepalive = 5
control_socket_disable = True  # several services run side by side; none needs gunicorn's control socket
accesslog = None  # servicekit logs each request as JSON, without query strings
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))
max_requests_jitter = 50


def child_exit(server, worker):
    multiprocess.mark_process_dead(worker.pid)
