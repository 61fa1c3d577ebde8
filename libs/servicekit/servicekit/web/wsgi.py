"""`gunicorn "servicekit.web.wsgi:create()"` with WOHNENPLUS_SERVICE naming the service. Each gunicorn
worker builds its own app (no --preload), so no connection is ever shared across a fork."""

import json
import os

from servicekit import service as registry
from servicekit.settings import Settings
from servicekit.web.app import create_app

_NOT_FOUND = json.dumps({"type": "about:blank", "title": "Not Found", "status": 404,
                         "detail": "The requested URL was not found on the server."}).encode()


def metrics_listener_only(app, port: int):
    """With METRICS_PORT, /metrics is answered only on connections to that listener, and that listener
    answers nothing else. Which listener a connection came in on is the socket's own address (gunicorn
    hands the socket in the environ), never the Host header a caller writes."""

    def on_metrics_listener(environ) -> bool:
        sock = environ.get("gunicorn.socket")
        try:
            return sock is not None and sock.getsockname()[1] == port
        except OSError:
            return False

    def split(environ, start_response):
        if on_metrics_listener(environ) != (environ.get("PATH_INFO") == "/metrics"):
            start_response("404 NOT FOUND", [("Content-Type", "application/problem+json"),
                                             ("Content-Length", str(len(_NOT_FOUND))),
                                             ("Cache-Control", "no-store"), ("X-Content-Type-Options", "nosniff")])
            return [_NOT_FOUND]
        return app(environ, start_response)

    return split


def create():
    service = registry.load(os.environ["WOHNENPLUS_SERVICE"])
    app = create_app(service)
    metrics_port = Settings.from_env(service.name, service.web_port, service.worker_metrics_port).get("METRICS_PORT")
    return metrics_listener_only(app, int(metrics_port)) if metrics_port else app
