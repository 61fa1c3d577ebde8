"""`gunicorn "servicekit.web.wsgi:create()"` with WOHNENPLUS_SERVICE naming the service. Each gunicorn
worker builds its own app (no --preload), so no connection is ever shared across a fork."""

import os

from servicekit import service as registry
from servicekit.web.app import create_app


def create():
    return create_app(registry.load(os.environ["WOHNENPLUS_SERVICE"]))
