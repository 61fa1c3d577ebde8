"""What the service loads once per process: routing table, templates (checked), retry policies,
mailboxes and channel settings from the environment."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from servicekit.settings import env

from notifications import config
from notifications.adapters.smtp import SmtpSettings
from notifications.domain.destinations import AllowList
from notifications.domain.catalogue import Channel
from notifications.domain.email_message import Sender
from notifications.domain.recipients import DIRECTORY_EVENTS
from notifications.domain.rendering import Renderer
from notifications.domain.retry import RetryPolicy
from notifications.domain.routing import RoutingTable
from notifications.domain.startup import check_templates


def _env(name: str, default: str | None = None) -> str | None:
    """`NOTIFICATIONS_<NAME>` wins over `<NAME>`."""
    return env(name, "notifications", default)


def _flag(name: str, default: bool = False) -> bool:
    value = _env(name)
    return default if value is None else value.strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Runtime:
    table: RoutingTable
    renderer: Renderer
    policies: dict[Channel, RetryPolicy]
    signature_tolerance_seconds: int
    secret_grace_seconds: int

    @property
    def consumed_event_types(self) -> list[str]:
        return sorted(self.table.event_types | DIRECTORY_EVENTS)


@lru_cache(maxsize=1)
def runtime() -> Runtime:
    table = config.routing_table()
    renderer = config.renderer()
    # A route without its template must stop the process here, not drop messages later.
    check_templates(table, renderer.env)
    delivery = config.delivery()
    return Runtime(
        table=table,
        renderer=renderer,
        policies={
            Channel.EMAIL: RetryPolicy.from_mapping(delivery["email"]),
            Channel.WEBHOOK: RetryPolicy.from_mapping(delivery["webhook"]),
        },
        signature_tolerance_seconds=int(delivery["webhook_signature_tolerance_seconds"]),
        secret_grace_seconds=int(delivery["webhook_secret_grace_seconds"]),
    )


def mailbox(role: str) -> tuple[str | None, str | None]:
    """(display name, email) of a shared mailbox; `NOTIFICATIONS_MAILBOX_<ROLE>` overrides the email."""
    entry = config.mailboxes().get(role, {})
    return entry.get("name"), _env(f"MAILBOX_{role.upper()}", entry.get("email"))


def link_base(audience: str) -> str | None:
    """Base URL of the links for one audience (`NOTIFICATIONS_LINK_BASE_<AUDIENCE>` overrides);
    empty means no links for that audience."""
    default = config.links().get("base_urls", {}).get(audience)
    return _env(f"LINK_BASE_{audience.upper()}", default) or None


def smtp_settings() -> SmtpSettings:
    return SmtpSettings(
        host=_env("SMTP_HOST", "localhost") or "localhost",
        port=int(_env("SMTP_PORT", "25") or 25),
        starttls=_flag("SMTP_STARTTLS"),
        tls=_flag("SMTP_TLS"),
        username=_env("SMTP_USERNAME") or None,
        password=_env("SMTP_PASSWORD") or None,
        timeout=float(_env("SMTP_TIMEOUT", "10") or 10),
        cafile=_env("SMTP_CAFILE") or None,
    )


def sender() -> Sender:
    email = _env("MAIL_FROM", "wohnenplus@stuttgart.example") or "wohnenplus@stuttgart.example"
    return Sender(
        name=_env("MAIL_FROM_NAME", "WohnenPlus Stuttgart") or "WohnenPlus Stuttgart",
        email=email,
        domain=email.rpartition("@")[2],
    )


def webhook_allowed_hosts() -> AllowList:
    """Hosts exempt from the webhook address rules and from https: development and tests only
    (`WEBHOOK_ALLOWED_HOSTS=127.0.0.1` or `localhost:8099,hooks.dev.internal`)."""
    return AllowList.parse(_env("WEBHOOK_ALLOWED_HOSTS"))


def webhook_cafile() -> str | None:
    """Certificates the webhook client trusts instead of the bundled public CAs."""
    return _env("WEBHOOK_CAFILE") or None


def webhook_timeout() -> float:
    return float(_env("WEBHOOK_TIMEOUT", "10") or 10)


def delivery_batch() -> int:
    return int(_env("DELIVERY_BATCH", "100") or 100)


def delivery_concurrency() -> int:
    return max(1, int(_env("DELIVERY_CONCURRENCY", "4") or 4))


def delivery_budget_s() -> float:
    return float(_env("DELIVERY_BUDGET_S", "30") or 30)
