"""Settings: the only reader of environment variables (prefix ``MTEJA_``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MTEJA_", extra="ignore")

    database_url: str = Field(
        default="sqlite+aiosqlite:///mteja.db",
        description="SQLAlchemy URL; postgresql+asyncpg://user@host/db for PostgreSQL.",
    )
    database_pooler: Literal["none", "pgbouncer"] = Field(
        default="none",
        description="What stands between the servers and PostgreSQL. `pgbouncer`: a pooler in "
        "transaction mode, so no prepared statements are kept, no session setting is sent, "
        "and the key-revocation LISTEN goes to the direct URL.",
    )
    database_direct_url: str | None = Field(
        default=None,
        description="PostgreSQL itself, past the pooler: for LISTEN (key revocations) and "
        "migrations. Unset behind a pooler: verified keys are cached for a few seconds only.",
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    db_pool_size: int = Field(default=10, ge=1, le=200)
    auth_cache: bool = Field(
        default=True,
        description="Cache verified API keys in memory (revocations reach every server: "
        "LISTEN/NOTIFY on PostgreSQL, PRAGMA data_version on SQLite; behind a pooler "
        "without a direct URL, a key is cached for 3 seconds instead).",
    )

    event_retention_days: int = Field(
        default=30, ge=1, le=3650, description="Events older than this are deleted."
    )
    prune_interval_seconds: float = Field(default=600, ge=1)

    webhook_worker: bool = Field(
        default=True,
        description="`mteja serve` delivers webhooks in its own process (off: --no-worker).",
    )
    webhook_allow_private_targets: bool = Field(
        default=False,
        description="Allow webhook URLs on private, loopback and link-local addresses.",
    )
    webhook_timeout_seconds: float = Field(default=10, gt=0, le=60)
    webhook_first_retry_seconds: float = Field(default=30, gt=0)
    webhook_retry_window_seconds: float = Field(
        default=3 * 24 * 3600,
        gt=0,
        description="How long a delivery is retried, and how long an endpoint may fail "
        "every attempt before it is disabled.",
    )
    webhook_poll_interval_seconds: float = Field(default=0.5, gt=0, le=60)
    webhook_concurrency: int = Field(default=16, ge=1, le=1000)

    rate_limit_per_second: int = Field(
        default=100,
        ge=0,
        le=1_000_000,
        description="Requests a second each account may make per mode (test mode: a quarter "
        "of it), with bursts of twice that; 0 turns rate limiting off.",
    )
    redis_url: str | None = Field(
        default=None,
        description="redis:// URL of the Redis that holds the rate limits' budgets, shared by "
        "every server process. Unset: each process keeps its own.",
    )
    redis_key_prefix: str = Field(
        default="mteja:",
        max_length=64,
        description="Prepended to every Redis key, so that several installations (or test "
        "runs) can share one Redis.",
    )

    session_secret: SecretStr | None = Field(
        default=None,
        min_length=32,
        description="Signs the dashboard's sign-in form token (sessions themselves are kept "
        "in the database). Unset: a random secret per process, so a sign-in form opened "
        "before a restart must be reloaded; set the same value (32+ characters) on every "
        "process behind one address.",
    )

    public_url: str | None = Field(
        default=None,
        description="The address customers reach this server at, for portal links "
        "(https://billing.example.com). Unset: the address each request came in on.",
    )

    @field_validator("database_url", "database_direct_url")
    @classmethod
    def _async_driver(cls, value: str | None) -> str | None:
        """Accept the plain scheme operators write and pick the async driver for it."""
        if value is None:
            return None
        for plain, driver in (
            ("postgresql://", "postgresql+asyncpg://"),
            ("postgres://", "postgresql+asyncpg://"),
            ("sqlite://", "sqlite+aiosqlite://"),
        ):
            if value.startswith(plain):
                return driver + value[len(plain) :]
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def pooled(self) -> bool:
        return self.database_pooler != "none" and not self.is_sqlite

    @property
    def migration_url(self) -> str:
        """Schema changes go past the pooler when they can: one long session of DDL."""
        return self.database_direct_url or self.database_url
