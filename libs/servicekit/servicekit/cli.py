"""`wohnenplus`: the command line for developers and operators.

    wohnenplus migrate [SERVICE ...]        bring databases to the newest schema
    wohnenplus web SERVICE                  gunicorn with the service's app
    wohnenplus worker SERVICE               consumer + outbox relay + periodic jobs
    wohnenplus token --role staff           mint a development token
    wohnenplus dlq list|replay SERVICE      inspect and replay dead letters
    wohnenplus bus policies [--apply]       the queue policies: show (and set) them
    wohnenplus bus migrate [SERVICE ...]    queues of an older kit to quorum queues with policies
    wohnenplus wait-ready                   wait until every service answers /readyz
    wohnenplus privacy records|export|rotate-data-keys
                                            Art. 30 document, Art. 15 bundle, data key rotation
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

import click

from servicekit import service as registry
from servicekit.auth import ROLES, ensure_dev_keys, mint_token
from servicekit.settings import Settings

# Commands import what only they need (the database layer, the data keys, the services' packages)
# inside themselves: `wohnenplus token` is minted by people many times a day and should answer at once.


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
    from servicekit.db import migrations
    from servicekit.privacy import crypto

    for name in _names(services):
        svc = registry.load(name)
        settings = _settings(name)
        crypto.configure(settings)  # a revision may encrypt what was stored in plain text
        migrations.upgrade(svc.migrations_dir, settings.database_url)
        click.echo(f"{name}: database at head")


@main.command()
def keys() -> None:
    """Create the development JWT key pair (var/jwt) and data key (var/data-keys) if missing."""
    from servicekit.privacy import crypto

    settings = Settings.from_env("cli", 0, 0)
    private, public = ensure_dev_keys(settings.var_dir)
    crypto.ensure_dev_data_key(settings.var_dir)
    click.echo(f"dev keys: {public}, {settings.var_dir / 'data-keys'}")


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
    env.pop("METRICS_BIND", None)
    if settings.get("METRICS_PORT"):
        env["METRICS_BIND"] = f"{settings.get('METRICS_HOST', '0.0.0.0')}:{int(settings.get('METRICS_PORT'))}"
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


@main.group()
def bus() -> None:
    """The broker's queues and their policies."""


@bus.command("policies")
@click.argument("services", nargs=-1)
@click.option("--apply", "do_apply", is_flag=True, help="Set the policies that are missing or differ.")
@click.option("--definitions", is_flag=True, help="Print them as a RabbitMQ definitions file instead.")
def bus_policies(services: tuple[str, ...], do_apply: bool, definitions: bool) -> None:
    """Show the queue policies the kit wants beside what the broker has; --apply sets them."""
    import json

    from servicekit.bus import policies

    settings = [_settings(name) for name in _names(services)]
    if definitions:
        click.echo(json.dumps(policies.definitions(settings), indent=2))
        return
    via = policies.backend(settings[0])
    if do_apply:
        for name, what in policies.apply(settings, via):
            click.echo(f"{what:9} {name}")
        return
    have = {p["name"]: p for p in policies.current(settings[0], via)}
    click.echo(f"(through the {via.where})")
    for s in settings:
        for policy in policies.for_service(s):
            state = "ok" if policies._same(have.get(policy.name), policy) else (
                "missing" if policy.name not in have else "differs")
            click.echo(f"{state:8} {policy.name:48} {json.dumps(policy.definition, sort_keys=True)}")


@bus.command("migrate")
@click.argument("services", nargs=-1)
def bus_migrate(services: tuple[str, ...]) -> None:
    """Drain, delete and declare again the queues an older kit declared with arguments, losing no
    message (stop the service's workers first)."""
    from servicekit.bus.migrate import MigrationRefused, migrate_service

    for name in _names(services):
        svc = registry.load(name)
        if not svc.handlers:
            continue
        try:
            for result in migrate_service(_settings(name), svc.bindings):
                click.echo(f"{name}: {result.queue}: {'; '.join(result.notes)}")
        except MigrationRefused as exc:
            raise click.ClickException(str(exc)) from exc


@main.command("wait-ready")
@click.option("--timeout", default=60.0, show_default=True)
def wait_ready(timeout: float) -> None:
    """Wait until every service's /readyz answers 200, then print where to find them."""
    import requests

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


@main.group()
def privacy() -> None:
    """Records of processing, access export and data keys."""


@privacy.command("records")
def privacy_records() -> None:
    """Print the records of processing activities (Art. 30 GDPR) as Markdown."""
    from servicekit.privacy.records import render

    click.echo(render(registry.discover().values()), nl=False)


@privacy.command("export")
@click.argument("household_id")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option("--token", envvar="WOHNENPLUS_TOKEN", default=None,
              help="A dpo token (default: a development token minted with the dev key).")
def privacy_export(household_id: str, out_dir: Path, token: str | None) -> None:
    """Collect everything every service holds about HOUSEHOLD_ID into OUT/bundle.json + auskunft.txt."""
    import json

    from servicekit.privacy.bundle import collect, summary_de

    if token is None:
        token = mint_token(Settings.from_env("cli", 0, 0), sub="dev-dpo", roles=["dpo"], ttl_seconds=600)
    bases = {name: os.environ.get(f"{name.upper()}_URL", f"http://127.0.0.1:{_settings(name).web_port}")
             for name in registry.discover()}
    bundle = collect(household_id, bases, token)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "bundle.json").write_text(json.dumps(bundle, ensure_ascii=False, indent=2))
    (out_dir / "auskunft.txt").write_text(summary_de(bundle))
    click.echo(f"{out_dir / 'bundle.json'}\n{out_dir / 'auskunft.txt'}")


@privacy.command("rotate-data-keys")
@click.argument("services", nargs=-1)
def rotate_data_keys(services: tuple[str, ...]) -> None:
    """Re-encrypt every encrypted value with the first key of DATA_KEYS."""
    from servicekit.db.database import Database
    from servicekit.privacy import crypto

    for name in _names(services):
        svc, settings = registry.load(name), _settings(name)
        if svc.metadata is None:
            continue
        crypto.configure(settings)
        db = Database(settings.database_url)
        try:
            click.echo(f"{name}: re-encrypted {crypto.rotate(db, svc.metadata)} value(s)")
        finally:
            db.dispose()
