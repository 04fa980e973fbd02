"""Behind a pooler in transaction mode (MTEJA_DATABASE_POOLER=pgbouncer) LISTEN cannot
work through it: a key revoked by another process stops working at once when the servers
listen on MTEJA_DATABASE_DIRECT_URL, and within seconds when they have none (decision 0027).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from mteja.accounts.repository import UnscopedApiKeyRepository
from mteja.api.app import create_app
from mteja.config import Settings
from mteja.core.time import utcnow
from mteja.db import migrate
from tests.conftest import database, direct_url, make_client, new_account, writing
from tests.servers import fresh_database

# The short lifetime of a verified key without notifications, and some room.
UNNOTIFIED_LIMIT_SECONDS = 3.0 + 2.0


@pytest.fixture
async def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    async with fresh_database("postgresql", tmp_path_factory, "pooler") as url:
        await migrate.upgrade(direct_url(url))
        yield url


def _pooled_app(url: str, direct: str | None) -> FastAPI:
    settings = Settings(
        database_url=url,
        database_pooler="pgbouncer",
        database_direct_url=direct,
        log_level="warning",
        webhook_worker=False,
    )
    return create_app(settings)


async def _revoke_in_another_process(url: str, key_id: str) -> None:
    """What ``mteja keys revoke`` does from another process: the row and its NOTIFY,
    without this process's in-memory announcement."""
    db = database(url, pool_size=1)
    try:
        async with writing(db) as conn:
            assert await UnscopedApiKeyRepository(conn).revoke(key_id, now=utcnow())
    finally:
        await db.dispose()


async def _seconds_until_refused(http: httpx.AsyncClient, limit: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < limit:
        response = await http.get("/api/v1/customers")
        if response.status_code == 401:
            return time.monotonic() - started
        assert response.status_code == 200, response.text
        await asyncio.sleep(0.1)
    pytest.fail(f"a revoked key still worked after {limit} s")


@pytest.mark.parametrize("listening", [True, False], ids=["direct-url", "no-direct-url"])
async def test_a_key_revoked_elsewhere_stops_working_behind_the_pooler(
    postgres_url: str, listening: bool
) -> None:
    app = _pooled_app(postgres_url, direct_url(postgres_url) if listening else None)
    async with app.router.lifespan_context(app):
        created = await new_account(app)
        async with make_client(app, created.api_key) as http:
            # Verified and cached, then used again from the cache.
            for _ in range(3):
                assert (await http.get("/api/v1/customers")).status_code == 200
            await _revoke_in_another_process(postgres_url, created.key_id)
            limit = 2.0 if listening else UNNOTIFIED_LIMIT_SECONDS
            await _seconds_until_refused(http, limit)
            # And it stays refused.
            assert (await http.get("/api/v1/customers")).status_code == 401
