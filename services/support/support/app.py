"""WSGI entry point: `gunicorn "support.app:create_app()"` (the CLI's `wohnenplus web support`)."""

from servicekit.web import create_app as _create_app

from support.service import service


def create_app():
    return _create_app(service)
