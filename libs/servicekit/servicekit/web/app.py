"""The app factory every service uses: flask-smorest API with OpenAPI 3 and local docs, problem+json
errors, bearer auth, correlation ids, request metrics, health and readiness."""

from __future__ import annotations

import http
import re
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import structlog
import swagger_ui_bundle
from flask import Flask, Response, g, jsonify, request, send_from_directory
from flask_smorest import Api
from flask_smorest.spec import prepare_response
from sqlalchemy.exc import DBAPIError

from servicekit import metrics
from servicekit.auth import TokenVerifier
from servicekit.bus.connection import RECOVERABLE, close_quietly, connect
from servicekit.clock import Clock, SystemClock
from servicekit.db.database import Database
from servicekit.logs import configure_logging
from servicekit.privacy import crypto
from servicekit.privacy.classification import personal_names
from servicekit.service import Service
from servicekit.settings import Settings
from servicekit.web import dpo_api, headers, limits, openapi, pagination, problems, reads
from servicekit.web.security import SAFE_METHODS
from servicekit.web.schemas import ProblemSchema

log = structlog.get_logger("servicekit.web")

_CORRELATION_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


@dataclass
class Kit:
    """What servicekit keeps per app (`current_app.extensions["servicekit"]`)."""

    service: Service
    settings: Settings
    db: Database
    verifier: TokenVerifier
    clock: Clock
    api: Api


class ProblemApi(Api):
    """flask-smorest's Api, with errors as application/problem+json in responses and in the spec."""

    ERROR_SCHEMA = ProblemSchema

    def handle_http_exception(self, error):
        return problems._describe_http(error)

    def _register_responses(self):
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, problems.PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Default error response", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, problems.PROBLEM_JSON)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)

    def _register_pagination_header(self):
        pagination.register_header(self.spec)


class KitFlask(Flask):
    """Flask, retrying a safe request once when its database connection turned out to be dropped.

    The web processes check pooled connections out without a ping (one round trip less per
    request). After a database restart or failover the first statement on an old connection
    fails; SQLAlchemy then discards every pooled connection from before, and a GET or HEAD is
    simply run again on a fresh one. Writes are not retried: the caller gets 503 and decides.
    """

    def dispatch_request(self):
        try:
            return super().dispatch_request()
        except DBAPIError as exc:
            if not exc.connection_invalidated or request.method not in SAFE_METHODS:
                raise
            log.warning("db.connection_dropped_retrying", route=str(request.url_rule))
            g.pop("noted_reads", None)
            return super().dispatch_request()


def _broker_reachable(settings: Settings) -> bool:
    connection = None
    try:
        connection = connect(settings.bus_url, f"{settings.service}-readyz", timeout=1.5)
        return True
    except RECOVERABLE:
        return False
    finally:
        close_quietly(connection)


def create_app(
    service: Service,
    settings: Settings | None = None,
    *,
    db: Database | None = None,
    clock: Clock | None = None,
) -> Flask:
    settings = settings or Settings.from_env(service.name, service.web_port, service.worker_metrics_port)
    configure_logging(service.name, settings.log_level, personal_names(service.metadata))
    crypto.configure(settings)
    app = KitFlask(service.package)
    app.config.update(
        API_TITLE=service.title,
        API_VERSION="v1",
        OPENAPI_VERSION=openapi.OPENAPI_VERSION,
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="/docs",
        OPENAPI_SWAGGER_UI_URL="/docs/assets/",
        API_SPEC_OPTIONS={
            "info": {
                "description": service.description,
                "contact": {"name": settings.get("API_CONTACT_NAME", openapi.CONTACT_NAME),
                            "email": settings.get("API_CONTACT_EMAIL", openapi.CONTACT_EMAIL)},
                "license": {"name": openapi.LICENSE_NAME, "identifier": openapi.LICENSE_SPDX},
            },
            "security": [{"bearerAuth": []}],
            "servers": [{"url": settings.get("PUBLIC_BASE_URL", f"http://127.0.0.1:{settings.web_port}"),
                         "description": f"{service.title} (PUBLIC_BASE_URL)"}],
        },
        MAX_CONTENT_LENGTH=int(settings.get("MAX_REQUEST_BYTES", str(5 * 1024 * 1024))),
        JSON_SORT_KEYS=False,
    )
    api = ProblemApi(app, spec_kwargs={"extra_plugins": [openapi.CompanyReadyDocument()]})
    openapi.install(api)
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT (RS256)"}
    )
    kit = Kit(
        service=service,
        settings=settings,
        db=db or Database(settings.database_url, pre_ping=False),
        verifier=TokenVerifier(settings),
        clock=clock or SystemClock(),
        api=api,
    )
    app.extensions["servicekit"] = kit
    problems.install(app)
    if service.register_api:
        service.register_api(api)
    dpo_api.register_api(api, service)
    if service.configure_app:
        service.configure_app(app)
    _install_request_hooks(app, service)
    limits.install(app, settings)
    headers.install(app)
    pagination.install(app)
    _install_operational_routes(app, kit)
    # Registered last, so it runs first among the after-request hooks: the metrics and the request
    # log see the answer the caller really gets
    app.after_request(reads.log_reads_or_withhold)
    return app


def _install_request_hooks(app: Flask, service: Service) -> None:
    @app.before_request
    def _start():
        g.started = time.perf_counter()
        incoming = request.headers.get("X-Correlation-ID", "")
        g.correlation_id = incoming if _CORRELATION_ID.match(incoming) else str(uuid.uuid4())
        structlog.contextvars.bind_contextvars(correlation_id=g.correlation_id)

    @app.after_request
    def _finish(response: Response):
        route = request.url_rule.rule if request.url_rule is not None else "unmatched"
        elapsed = time.perf_counter() - g.get("started", time.perf_counter())
        metrics.HTTP_REQUESTS.labels(service.name, request.method, route, str(response.status_code)).inc()
        metrics.HTTP_LATENCY.labels(service.name, request.method, route).observe(elapsed)
        response.headers["X-Correlation-ID"] = g.get("correlation_id", "")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Cache-Control", "no-store")
        if route not in ("/healthz", "/metrics"):
            log.info("http.request", method=request.method, route=route, status=response.status_code,
                     ms=round(elapsed * 1000, 1))
        structlog.contextvars.unbind_contextvars("correlation_id")
        return response


def _install_operational_routes(app: Flask, kit: Kit) -> None:
    assets = Path(swagger_ui_bundle.swagger_ui_path)

    @app.get("/docs/assets/<path:filename>")
    def docs_assets(filename: str):
        response = send_from_directory(assets, filename, max_age=86400)
        response.headers["Cache-Control"] = "public, max-age=86400"
        return response

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok", service=kit.service.name)

    @app.get("/readyz")
    def readyz():
        checks = {}
        try:
            kit.db.ping()
            checks["database"] = "ok"
        except Exception as exc:
            locked = "locked" in str(getattr(exc, "orig", exc))
            checks["database"] = "locked" if locked else f"unavailable ({type(exc).__name__})"
        checks["broker"] = "ok" if _broker_reachable(kit.settings) else "unavailable"
        ready = all(v == "ok" for v in checks.values())
        return jsonify(status="ready" if ready else "not ready", checks=checks), 200 if ready else 503

    @app.get("/metrics")
    def metrics_endpoint():
        body, content_type = metrics.exposition()
        return Response(body, content_type=content_type)
