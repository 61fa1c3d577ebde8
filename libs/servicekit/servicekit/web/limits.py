"""What one caller may send, and how often: every refusal is a problem+json.

Input (checked before any view runs, so a view never sees it):
- a body over `MAX_REQUEST_BYTES` answers 413, also when it comes chunked without a Content-Length
  (werkzeug would silently cut such a body at the limit, and the view would see truncated JSON);
- a JSON body nested deeper than MAX_JSON_DEPTH answers 400 (past Python's recursion limit the parser
  raised RecursionError: 500);
- a NUL character in a JSON string, a query argument or a path segment answers 422 naming the field
  (PostgreSQL cannot store NUL in text: it raised deep inside the view: 500).

Rates (flask-limiter; limits in its notation, e.g. "20/second;600/minute"; `<SERVICE>_<NAME>` wins):
- `RATELIMIT_COMPANY` (default below): all requests of one company, per service — a company's
  integration that loops cannot starve the others;
- `RATELIMIT_AUTH_FAILURES` (default below): requests from one client address without a valid
  bearer token whose credentials are refused (401, or a wrong `?token=` secret such as a calendar
  feed's) — the login-like part of the API, where guessing would happen. Nobody else behind the same
  address (a proxy without `TRUSTED_PROXY_HOPS`) may be locked out by a guesser, so it never counts
  nor refuses: requests with a valid bearer token, requests whose `?token=` the endpoint's
  `query_credential` check accepts (the calendar feed), and the operational routes (`/healthz`,
  `/readyz`, `/metrics`, `/openapi.json`, `/docs`) — a load balancer's health check must not turn
  429 because someone else sent bad tokens;
- `RATELIMIT_ENABLED=false` switches rates off (benchmarks and the fuzz run send far more than a
  company would);
- `RATELIMIT_STORAGE_URI` (default `memory://`): in memory, each gunicorn worker counts on its own, so
  the effective limit is the configured one times the workers and replicas (with 2 workers, 30/min
  refused credentials admit up to 60); `redis://host:6379/0` (the client is installed with the
  kit) gives one count shared by every worker and replica;
- `TRUSTED_PROXY_HOPS` (default 0): how many reverse proxies in front set X-Forwarded-For; without it
  every client behind an ingress shares the proxy's address.

A refused request answers 429 with `Retry-After` (seconds until the window resets).
"""

from __future__ import annotations

import json
import math
import time
from typing import Any, Callable

from flask import Flask, Response, current_app, g, request
from flask_limiter import ApplicationLimit, Limiter, RateLimitExceeded
from flask_smorest import abort
from werkzeug.middleware.proxy_fix import ProxyFix

from servicekit.auth import InvalidToken, Principal
from servicekit.settings import Settings
from servicekit.web.problems import problem_response

DEFAULT_COMPANY_RATE = "20/second;600/minute"
DEFAULT_AUTH_FAILURE_RATE = "30/minute"
_WITH_BODY = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_NUL = "\x00"
MAX_JSON_DEPTH = 64
#: Probes, scrapes and the API description: answered to anyone, whatever others sent before.
OPERATIONAL_PATHS = frozenset({"/healthz", "/readyz", "/metrics", "/openapi.json", "/docs"})
QueryCredentialCheck = Callable[[dict[str, Any], str], bool]
_QUERY_CREDENTIALS: dict[str, QueryCredentialCheck] = {}


def query_credential(endpoint: str) -> Callable[[QueryCredentialCheck], QueryCredentialCheck]:
    """Register how ``endpoint`` (Flask endpoint name) checks its ``?token=`` secret:
    ``check(view_args, token) -> bool``. A request whose secret the check accepts is never
    counted or refused by the refused-credentials limit (a subscriber's calendar keeps
    working while someone behind the same address guesses)."""

    def register(check: QueryCredentialCheck) -> QueryCredentialCheck:
        _QUERY_CREDENTIALS[endpoint] = check
        return check

    return register


def install(app: Flask, settings: Settings) -> Limiter:
    """Input checks and rate limits for `app`; the app factory installs them after its correlation-id
    hook, so that a refusal carries the request's id."""
    hops = int(settings.get("TRUSTED_PROXY_HOPS", "0") or 0)
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    app.before_request(_check_input)
    limiter = Limiter(
        key_func=_client_address,
        app=app,
        enabled=(settings.get("RATELIMIT_ENABLED", "true") or "true").lower() not in ("0", "false", "no", "off"),
        storage_uri=settings.get("RATELIMIT_STORAGE_URI", "memory://"),
        key_prefix=settings.service,  # one shared store serves all four services: each keeps its own counts
        strategy=settings.get("RATELIMIT_STRATEGY", "fixed-window"),
        headers_enabled=False,  # flask-limiter would put Retry-After on every answer; we add it to 429s
        swallow_errors=True,  # a rate store that is away must not take the API down with it
        application_limits=[
            ApplicationLimit(settings.get("RATELIMIT_COMPANY", DEFAULT_COMPANY_RATE) or "",
                             key_function=_company_key, exempt_when=_not_a_company, scope="company"),
            ApplicationLimit(settings.get("RATELIMIT_AUTH_FAILURES", DEFAULT_AUTH_FAILURE_RATE) or "",
                             key_function=_client_address, exempt_when=_credentials_accepted,
                             deduct_when=_credentials_refused, scope="credentials"),
        ],
    )
    app.register_error_handler(RateLimitExceeded, _too_many(limiter))
    return limiter


# --------------------------------------------------------------------------- rates


def _client_address() -> str:
    return request.remote_addr or "unknown"


def _principal() -> Principal | None:
    """The caller, if its bearer token verifies; kept in `g` so the view does not verify it again."""
    if "principal" in g:
        return g.principal
    if "limits_no_principal" in g:
        return None
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        try:
            g.principal = current_app.extensions["servicekit"].verifier.verify(token.strip())
            return g.principal
        except InvalidToken:
            pass
    g.limits_no_principal = True
    return None


def _operational() -> bool:
    return request.path in OPERATIONAL_PATHS or request.path.startswith("/docs/")


def _not_a_company() -> bool:
    if _operational():
        return True
    principal = _principal()
    return principal is None or not principal.is_company


def _company_key() -> str:
    principal = _principal()
    return f"company:{principal.company_id}" if principal else _client_address()


def _credentials_accepted() -> bool:
    """Exempt from the refused-credentials limit: see the module's docstring."""
    if _operational() or _principal() is not None:
        return True
    check = _QUERY_CREDENTIALS.get(request.endpoint or "")
    token = request.args.get("token")
    if check is None or not token:
        return False
    if "limits_query_credential" not in g:
        try:
            g.limits_query_credential = bool(check(dict(request.view_args or {}), token))
        except Exception:  # noqa: BLE001 — a check that fails accepts nothing; the view answers for itself
            g.limits_query_credential = False
    return g.limits_query_credential


def _credentials_refused(response: Response) -> bool:
    if response.status_code == 401:
        return True
    # A `token` query argument is a credential of its own (the calendar feed's secret): a wrong one
    # answers 404 or 403 so as not to tell which part was wrong, and counts as a failed attempt.
    return bool(request.args.get("token")) and response.status_code in (403, 404)


def _too_many(limiter: Limiter):
    def handler(exc: RateLimitExceeded) -> Response:
        current = limiter.current_limit
        wait = max(1, math.ceil(current.window[0] - time.time())) if current else 1
        response = problem_response(429, "Too Many Requests",
                                    f"Too many requests ({exc.description}); try again in {wait} s.")
        response.headers["Retry-After"] = str(wait)
        return response

    return handler


# --------------------------------------------------------------------------- input


def _check_input() -> None:
    limit = request.max_content_length
    if limit is not None and request.method in _WITH_BODY:
        if request.content_length is not None:
            if request.content_length > limit:
                abort(413, message=f"The request body is larger than {limit} bytes.")
        elif len(request.get_data(cache=True)) >= limit:  # chunked: werkzeug stops reading at the limit
            abort(413, message=f"The request body is larger than {limit} bytes.")
    errors: dict[str, Any] = {}
    query = {key: ["must not contain the NUL character"] for key, value in request.args.items(multi=True)
             if _NUL in key or _NUL in value}
    if query:
        errors["query"] = query
    path = {key: ["must not contain the NUL character"] for key, value in (request.view_args or {}).items()
            if isinstance(value, str) and _NUL in value}
    if path:
        errors["path"] = path
    if request.method in _WITH_BODY and request.is_json:
        found = _nul_fields(_json_body())
        if found:
            errors["json"] = found
    if errors:
        abort(422, messages=errors)


def _json_body() -> Any:
    raw = request.get_data(cache=True)
    if not raw:
        return None
    try:
        return json.loads(raw)
    except RecursionError:
        abort(400, message=f"The request body is nested deeper than {MAX_JSON_DEPTH} levels.")
    except ValueError:
        return None  # not JSON: the view's parser answers 400 with its own words


def _nul_fields(body: Any) -> dict:
    """The fields holding a NUL, shaped like marshmallow's errors ({"a": {"b": [msg]}}). Walks
    without recursion and refuses bodies deeper than MAX_JSON_DEPTH (400), which no schema here has."""
    found: dict = {}
    stack: list[tuple[tuple, Any]] = [((), body)]
    while stack:
        path, value = stack.pop()
        if len(path) > MAX_JSON_DEPTH:
            abort(400, message=f"The request body is nested deeper than {MAX_JSON_DEPTH} levels.")
        if isinstance(value, dict):
            for key, item in value.items():
                if _NUL in key:
                    _mark(found, (*path, key))
                else:
                    stack.append(((*path, key), item))
        elif isinstance(value, list):
            stack.extend(((*path, i), item) for i, item in enumerate(value))
        elif isinstance(value, str) and _NUL in value:
            _mark(found, path)
    return found


def _mark(found: dict, path: tuple) -> None:
    if not path:  # the body itself is a string
        found["_schema"] = ["must not contain the NUL character"]
        return
    node = found
    for key in path[:-1]:
        node = node.setdefault(str(key), {})
    node[str(path[-1])] = ["must not contain the NUL character"]
