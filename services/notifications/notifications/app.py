"""WSGI entry point: `gunicorn "notifications.app:create_app()"` (the CLI's `wohnenplus web notifications`)."""

from servicekit.web import create_app as _create_app

from notifications.service import service


def create_app():
    return _create_app(service)
