"""Security headers on every answer (OWASP's REST and secure-headers recommendations).

The API answers JSON, PDF and iCalendar, none of which a browser should run, frame or send a
referrer from: `default-src 'none'` and `frame-ancestors 'none'`. The docs page is the one HTML
answer: its policy lets it load only its own local assets and run only its own inline start-up
script, allowed by that script's hash (computed from the page itself, so a template change cannot
silently turn the policy into 'unsafe-inline'). HSTS is sent only over HTTPS (behind a proxy, with
TRUSTED_PROXY_HOPS set), where browsers honour it.
"""

from __future__ import annotations

import base64
import hashlib
import re

from flask import Flask, Response, request

API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


def install(app: Flask) -> None:
    app.after_request(add_security_headers)


def add_security_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if "Content-Security-Policy" not in response.headers:
        html = response.mimetype == "text/html" and not response.direct_passthrough
        response.headers["Content-Security-Policy"] = page_policy(response.get_data()) if html else API_POLICY
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


def page_policy(html: bytes) -> str:
    """The docs page: own scripts, styles, images (Swagger UI draws icons as data: URLs), requests
    to its own API only, and the page's inline scripts by hash."""
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(body).digest()).decode()}'" for body in _INLINE_SCRIPT.findall(html)
    )
    return (
        f"default-src 'none'; script-src 'self' {hashes}".rstrip()
        + "; style-src 'self'; img-src 'self' data:; font-src 'self' data:; connect-src 'self';"
        " frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    )
