"""Settings from environment variables, with defaults that work on a developer machine."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


def _project_root() -> Path:
    env = os.environ.get("WOHNENPLUS_HOME")
    if env:
        return Path(env)
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "Procfile").exists() and (parent / "services").is_dir():
            return parent
    return Path.cwd()


def env(name: str, service: str, default: str | None = None) -> str | None:
    """`MATCHING_DATABASE_URL` wins over `DATABASE_URL`, so one shell can configure all four."""
    return os.environ.get(f"{service.upper()}_{name}", os.environ.get(name, default))



@dataclass(frozen=True)
class Settings:
    service: str
    database_url: str
    bus_url: str
    bus_prefix: str
    var_dir: Path
    jwt_issuer: str
    jwt_audience: str
    jwt_public_key_file: Path | None
    jwt_jwks_url: str | None
    jwt_private_key_file: Path
    web_port: int
    worker_metrics_port: int
    retry_delays_ms: tuple[int, ...] = (1_000, 10_000, 60_000)
    log_level: str = "INFO"
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def exchange(self) -> str:
        return f"{self.bus_prefix}wohnenplus.events"

    @property
    def dead_letter_exchange(self) -> str:
        return f"{self.bus_prefix}wohnenplus.dlx"

    @property
    def queue(self) -> str:
        return f"{self.bus_prefix}{self.service}.events"

    @property
    def dead_letter_queue(self) -> str:
        return f"{self.queue}.dlq"

    def retry_queue(self, tier: int) -> str:
        return f"{self.queue}.retry.{tier}"

    def get(self, name: str, default: str | None = None) -> str | None:
        """A service-specific setting (`<SERVICE>_<NAME>` or `<NAME>`)."""
        return env(name, self.service, default)

    @classmethod
    def from_env(cls, service: str, web_port: int, worker_metrics_port: int) -> "Settings":
        root = _project_root()
        var_dir = Path(os.environ.get("WOHNENPLUS_VAR", root / "var"))
        public_key = env("JWT_PUBLIC_KEY_FILE", service)
        return cls(
            service=service,
            database_url=env("DATABASE_URL", service) or f"sqlite:///{var_dir / service}.db",
            bus_url=env("BUS_URL", service, "amqp://guest:guest@localhost:5672/%2F"),
            bus_prefix=env("BUS_PREFIX", service, "") or "",
            var_dir=var_dir,
            jwt_issuer=env("JWT_ISSUER", service, "wohnenplus-dev"),
            jwt_audience=env("JWT_AUDIENCE", service, "wohnenplus"),
            jwt_public_key_file=Path(public_key) if public_key else None,
            jwt_jwks_url=env("JWT_JWKS_URL", service),
            jwt_private_key_file=Path(env("JWT_PRIVATE_KEY_FILE", service) or var_dir / "jwt" / "dev-private.pem"),
            # Not PORT: process managers (honcho, foreman) set PORT for every process they start.
            web_port=int(env("WEB_PORT", service, str(web_port))),
            worker_metrics_port=int(env("WORKER_METRICS_PORT", service, str(worker_metrics_port))),
            retry_delays_ms=tuple(
                int(ms) for ms in (env("BUS_RETRY_DELAYS_MS", service, "1000,10000,60000") or "").split(",") if ms
            ),
            log_level=env("LOG_LEVEL", service, "INFO"),
        )
