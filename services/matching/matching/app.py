"""WSGI entry point: `gunicorn "matching.app:create_app()"` (the CLI's `wohnenplus web matching`)."""

from servicekit.web import create_app as _create_app

from matching.service import service


def create_app():
    return _create_app(service)
