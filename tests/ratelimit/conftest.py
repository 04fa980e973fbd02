"""Apps with real, small budgets: 5 requests a second with bursts of 10 per account (and,
per client address, a failed authentication every 2 seconds), on both databases.

Each test uses accounts of its own, and a client address of its own where it spends an
address's budget, so no two tests share a bucket. Redis keys carry a prefix of their own
per app: nothing here reads or deletes anyone else's keys.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from mteja.api.app import create_app
from mteja.config import Settings

RATE = 5
BURST = 2 * RATE
REDIS_URL = "redis://127.0.0.1:6379/0"
_addresses = itertools.count(1)


def limited_settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "log_level": "warning",
        "webhook_worker": False,
        "rate_limit_per_second": RATE,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def redis_prefix() -> str:
    return f"mteja-test:{uuid.uuid4().hex}:"


def new_address() -> str:
    """A client address that no other test of this process uses."""
    n = next(_addresses)
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


def client_of(
    app: FastAPI, api_key: str | None, *, address: str | None = None
) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    transport = httpx.ASGITransport(app=app, client=(address or new_address(), 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://mteja.test", headers=headers)


@pytest.fixture(scope="session")
async def limited_app(database_url: str) -> AsyncIterator[FastAPI]:
    application = create_app(limited_settings(database_url))
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture(scope="session")
async def redis_app(database_url: str) -> AsyncIterator[FastAPI]:
    settings = limited_settings(database_url, redis_url=REDIS_URL, redis_key_prefix=redis_prefix())
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application
