"""The SDK against a real ``mteja serve`` process, one per backend for the whole session
(per xdist worker), on a fresh database of its own. It delivers webhooks in-process to
loopback receivers, with quick timings. Every test gets an account of its own, so no test
sees another's objects."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pytest

from mteja.accounts.service import AccountService
from mteja.db.engine import Database
from mteja_client import AsyncMteja, Mteja
from tests.conftest import BACKENDS
from tests.servers import create_account_here, fresh_database, serving_with, webhook_environment


@dataclass(frozen=True)
class SdkServer:
    backend: str
    base_url: str
    db: Database

    async def new_key(self, name: str = "SDK merchant") -> str:
        return (await AccountService(self.db).create_account(name)).api_key


@pytest.fixture(scope="session", params=BACKENDS)
async def sdk_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[SdkServer]:
    backend: str = request.param
    async with fresh_database(backend, tmp_path_factory, "sdk") as database_url:
        # Migrates first, so the server starts on a ready schema.
        await create_account_here(database_url, "bootstrap")
        workdir = tmp_path_factory.mktemp(f"sdk-{backend}")
        with serving_with(webhook_environment(database_url), workdir) as (_, base_url):
            db = Database(database_url, pool_size=2)
            try:
                yield SdkServer(backend=backend, base_url=base_url, db=db)
            finally:
                await db.dispose()


@pytest.fixture
async def api_key(sdk_server: SdkServer) -> str:
    return await sdk_server.new_key()


@pytest.fixture
def mteja(sdk_server: SdkServer, api_key: str) -> Iterator[Mteja]:
    with Mteja(api_key=api_key, base_url=sdk_server.base_url) as client:
        yield client


@pytest.fixture
async def amteja(sdk_server: SdkServer, api_key: str) -> AsyncIterator[AsyncMteja]:
    async with AsyncMteja(api_key=api_key, base_url=sdk_server.base_url) as client:
        yield client


def unique_email(prefix: str = "c") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}@example.com"
