"""WSGI entry point: `gunicorn "contracts.app:create_app()"` (the CLI's `wohnenplus web contracts`)."""

from servicekit.web import create_app as _create_app

from contracts.service import service


def create_app():
    return _create_app(service)
