"""How contracts' web app differs from the kit's defaults: the request size limit."""

from __future__ import annotations

from flask import Flask

# A claim carries up to 10 documents of up to 5 MB each, base64-encoded in JSON (4/3 of the size):
# the kit's default 5 MB request limit would cut that to one small file. Operators can still set
# CONTRACTS_MAX_REQUEST_BYTES.
DEFAULT_MAX_REQUEST_BYTES = 32 * 1024 * 1024


def configure_app(app: Flask) -> None:
    settings = app.extensions["servicekit"].settings
    if settings.get("MAX_REQUEST_BYTES") is None:
        app.config["MAX_CONTENT_LENGTH"] = DEFAULT_MAX_REQUEST_BYTES
