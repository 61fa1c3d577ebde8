"""`wohnenplus`: the command line for developers and operators.

    wohnenplus migrate [SERVICE ...]        bring databases to the newest schema
    wohnenplus web SERVICE                  gunicorn with the service's app
    wohnenplus worker SERVICE               consumer + outbox relay + periodic jobs
    wohnenplus token --role staff           mint a development token
    wohnenplus dlq list|replay SERVICE      inspect and replay dead letters
    wohnenplus wait-ready                   wait until every service answers /readyz
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

import click
import requests

from servicekit import service as registry
from servicekit.auth import ROLES, ensure_dev_keys, mint_token
from servicekit.db import migrations
from servicekit.settings import Settings


def _settings(name: str) -> Settings:
    svc = registry.load(name)
    return Settings.from_env(svc.name, svc.web_port, svc.worker_metrics_port)


def _names(services: tuple[str, ...]) -> list[str]:
    return list(services) or registry.names()


@click.group()
def main() -> None:
    """WohnenPlus platform command line."""


@main.command()
@click.argument("services", nargs=-1)
def migrate(services: tuple[str, ...]) -> None:
    """Run each service's Alembic migrations up to head (all services by default)."""
    for name in _names(services):
        svc = registry.load(name)
        settings = _settings(name)
        migrations.upgrade(svc.migrations_dir, settings.database_url)
        click.echo(f"{name}: database at head")


@main.command()
def keys() -> None:
    """Create the development JWT key pair under var/jwt if it is missing."""
    settings = Settings.from_env("cli", 0, 0)
    private, public = ensure_dev_keys(settings.var_dir)
    click.echo(f"dev keys: {public}")


@main.command()
@click.argument("service")
def web(service: str) -> None:
    """Serve SERVICE's HTTP API with gunicorn (multiprocess metrics set up first)."""
    settings = _settings(service)
    metrics_dir = settings.var_dir / "prometheus" / service
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(parents=True)
    env = dict(os.environ, PROMETHEUS_MULTIPROC_DIR=str(metrics_dir), WOHNENPLUS_SERVICE=service,
               PORT=str(settings.web_port))
    conf = Path(__file__).parent / "web" / "gunicorn_conf.py"
    gunicorn = Path(sys.executable).with_name("gunicorn")
    os.execve(str(gunicorn), [str(gunicorn), "-c", str(conf), "servicekit.web.wsgi:create()"], env)


@main.command()
@click.argument("service")
def worker(service: str) -> None:
    """Run SERVICE's worker: event consumer, outbox relay and periodic jobs."""
    from servicekit.worker import main as run_worker

    os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
    run_worker(registry.load(service), _settings(service))


@main.command()
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(sorted(ROLES)))
@click.option("--company-id", default=None, help="The company a company token acts for.")
@click.option("--sub", default=None, help="Subject (user id); defaults to dev-<role>.")
@click.option("--name", default=None)
@click.option("--ttl", default=8 * 3600, show_default=True, help="Lifetime in seconds.")
def token(roles: tuple[str, ...], company_id: str | None, sub: str | None, name: str | None, ttl: int) -> None:
    """Mint a development bearer token signed with the dev key."""
    settings = Settings.from_env("cli", 0, 0)
    click.echo(mint_token(settings, sub=sub or f"dev-{roles[0]}", roles=list(roles), company_id=company_id,
                          name=name, ttl_seconds=ttl))


@main.group()
def dlq() -> None:
    """Dead letters of a service's queue."""


@dlq.command("list")
@click.argument("service")
@click.option("--limit", default=100, show_default=True)
def dlq_list(service: str, limit: int) -> None:
    """Show dead letters without removing them."""
    from servicekit.bus.deadletters import list_dead_letters

    letters = list_dead_letters(_settings(service), limit)
    if not letters:
        click.echo(f"{service}: no dead letters")
        return
    click.echo(f"{'message_id':38} {'type':40} {'reason':10} deaths")
    for letter in letters:
        click.echo(f"{letter.message_id or '-':38} {letter.type or '-':40} {letter.reason or '-':10} {letter.deaths}")


@dlq.command("replay")
@click.argument("service")
@click.option("--id", "message_id", default=None, help="Replay only this message id.")
def dlq_replay(service: str, message_id: str | None) -> None:
    """Put dead letters back on the service's queue (after the bug is fixed)."""
    from servicekit.bus.deadletters import replay_dead_letters

    count = replay_dead_letters(_settings(service), message_id)
    click.echo(f"{service}: replayed {count} message(s)")


@main.command("wait-ready")
@click.option("--timeout", default=60.0, show_default=True)
def wait_ready(timeout: float) -> None:
    """Wait until every service's /readyz answers 200, then print where to find them."""
    deadline = time.monotonic() + timeout
    pending = {name: _settings(name).web_port for name in registry.discover()}
    while pending and time.monotonic() < deadline:
        for name, port in list(pending.items()):
            try:
                if requests.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                    del pending[name]
            except requests.RequestException:
                pass
        time.sleep(0.5)
    if pending:
        raise click.ClickException(f"not ready after {timeout:.0f}s: {', '.join(pending)}")
    for name, svc in registry.discover().items():
        base = f"http://127.0.0.1:{_settings(name).web_port}"
        click.echo(f"  {name:14} {base}/api/v1   docs {base}/docs   metrics {base}/metrics")
