"""The merchant CLI (``mteja customers …``, ``mteja events tail``) as a merchant runs it:
the installed console script, in a process of its own, against a real ``mteja serve`` per
backend. Every test gets an account (and key) of its own."""

from __future__ import annotations

import os
import subprocess
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import bindparam, func, select

from mteja.accounts.service import AccountService
from mteja.customers.tables import customers
from mteja.db.engine import Database
from mteja.db.sql import Sql
from mteja_client import Mteja
from tests.conftest import BACKENDS
from tests.servers import (
    create_account_here,
    fresh_database,
    mteja_command,
    server_environment,
    serving_with,
)

CLI_TIMEOUT = 300.0
_CUSTOMER_COUNT = Sql(
    select(func.count())
    .select_from(customers)
    .where(customers.c.account_id == bindparam("account_id"))
)


@dataclass(frozen=True)
class MerchantServer:
    backend: str
    base_url: str
    db: Database

    async def new_account(self, name: str = "CLI merchant") -> tuple[str, str]:
        """A new account's id and secret key."""
        created = await AccountService(self.db).create_account(name)
        return created.account_id, created.api_key

    async def new_key(self, name: str = "CLI merchant") -> str:
        return (await self.new_account(name))[1]

    async def customer_count(self, account_id: str) -> int:
        async with self.db.read() as conn:
            return int(await conn.scalar(_CUSTOMER_COUNT, {"account_id": account_id}))


@pytest.fixture(scope="session", params=BACKENDS)
async def merchant_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[MerchantServer]:
    backend: str = request.param
    async with fresh_database(backend, tmp_path_factory, "cli") as database_url:
        await create_account_here(database_url, "bootstrap")  # migrates before serving
        workdir = tmp_path_factory.mktemp(f"cli-{backend}")
        env = {**server_environment(database_url), "MTEJA_WEBHOOK_WORKER": "false"}
        with serving_with(env, workdir) as (_, base_url):
            db = Database(database_url, pool_size=2)
            try:
                yield MerchantServer(backend=backend, base_url=base_url, db=db)
            finally:
                await db.dispose()


@dataclass(frozen=True)
class Merchant:
    """One account's key, and the CLI and SDK pointed at it."""

    account_id: str
    api_key: str
    base_url: str
    workdir: Path

    def env(self) -> dict[str, str]:
        env = {name: value for name, value in os.environ.items() if not name.startswith("MTEJA_")}
        env.update(
            MTEJA_API_KEY=self.api_key,
            MTEJA_API_URL=self.base_url,
            NO_COLOR="1",
            COLUMNS="200",
        )
        return env

    def run(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*mteja_command(), *args],
            env=self.env(),
            cwd=self.workdir,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=CLI_TIMEOUT,
            check=False,
        )

    def ok(self, *args: str) -> subprocess.CompletedProcess[str]:
        result = self.run(*args)
        assert result.returncode == 0, f"mteja {' '.join(args)}: {result.stderr}"
        return result

    def start(self, *args: str, log: str) -> subprocess.Popen[str]:
        with (self.workdir / log).open("w") as output:
            return subprocess.Popen(
                [*mteja_command(), *args],
                env=self.env(),
                cwd=self.workdir,
                stdout=subprocess.PIPE,
                stderr=output,
                text=True,
            )

    def sdk(self) -> Mteja:
        return Mteja(api_key=self.api_key, base_url=self.base_url)


async def new_merchant(server: MerchantServer, workdir: Path) -> Merchant:
    account_id, api_key = await server.new_account()
    return Merchant(account_id, api_key, server.base_url, workdir)


@pytest.fixture
async def merchant(merchant_server: MerchantServer, tmp_path: Path) -> Merchant:
    return await new_merchant(merchant_server, tmp_path)


@pytest.fixture
def sdk(merchant: Merchant) -> Iterator[Mteja]:
    with merchant.sdk() as client:
        yield client
