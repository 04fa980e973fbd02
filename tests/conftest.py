"""Fixtures: every API test runs once on SQLite and once on PostgreSQL.

With ``MTEJA_DATABASE_POOLER=pgbouncer`` in the environment, the run is the pooler leg
instead: PostgreSQL only, every connection through a PgBouncer in transaction mode that
the run starts itself (``tests/pooler.py``), with the pooler's settings.

Each database is created fresh for the test session (and per xdist worker) and built by
the migrations, never by ``create_all``. Tests are isolated by account: every test gets
accounts of its own, so no test can see another's rows and nothing needs cleaning.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from mteja.accounts.service import AccountService, CreatedKey
from mteja.api.app import create_app
from mteja.config import Settings
from mteja.db import migrate
from mteja.db.engine import Database
from mteja.db.sql import AsyncpgConn, Conn, Sql
from mteja.db.uow import UnitOfWork
from tests.citus import issued_by_the_app, problems
from tests.pooler import POOLED, pooled_url

POSTGRES_ADMIN_URL = os.environ.get(
    "MTEJA_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
if TYPE_CHECKING:
    from tests.servers import SdkServer

BACKENDS = ["pgbouncer"] if POOLED else ["sqlite", "postgresql"]
# The shared app answers every test of a worker, all from one client address, faster than
# any merchant would: a budget that never refuses. The rate limits' own tests
# (tests/ratelimit) build apps with real budgets.
UNLIMITED = 1_000_000


async def _create_postgres_database() -> str:
    name = f"mteja_test_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{uuid.uuid4().hex[:8]}"
    try:
        admin = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=10)
    except (OSError, asyncpg.PostgresError) as error:
        message = (
            f"PostgreSQL is unreachable at {POSTGRES_ADMIN_URL} ({error!r}). "
            "Start it or set MTEJA_TEST_POSTGRES_URL."
        )
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"{message} The PostgreSQL leg is mandatory in CI.", pytrace=False)
        # A laptop without PostgreSQL still runs the SQLite leg; CI never skips it.
        pytest.skip(f"{message} PostgreSQL leg not run on this machine.")
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = make_url(POSTGRES_ADMIN_URL).set(drivername="postgresql+asyncpg", database=name)
    if POOLED:
        url = pooled_url(url)
    return url.render_as_string(hide_password=False)


def direct_url(url: str) -> str:
    """A test database's URL on PostgreSQL itself, past the pooler if there is one."""
    admin = make_url(POSTGRES_ADMIN_URL)
    direct = make_url(url).set(host=admin.host, port=admin.port)
    return direct.render_as_string(hide_password=False)


def database(url: str, pool_size: int) -> Database:
    """A handle on a test database, as the servers of this run open theirs."""
    return Database(url, pool_size=pool_size, pooled=POOLED)


async def _drop_postgres_database(url: str) -> None:
    name = make_url(url).database
    admin = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=10)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture(scope="session", params=BACKENDS)
async def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("sqlite") / "mteja.db"
        url = f"sqlite+aiosqlite:///{path}"
        await migrate.upgrade(url)
        yield url
        return
    url = await _create_postgres_database()
    try:
        await migrate.upgrade(url, pooled=POOLED)
        yield url
    finally:
        await _drop_postgres_database(url)


@pytest.fixture(autouse=True)
def single_shard_statements(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every statement run on PostgreSQL while a test runs is one Citus runs on one shard,
    or a declared cross-account read (tests/citus.py): the test fails otherwise."""
    found: dict[str, list[str]] = {}

    def checked(method: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def run(self: AsyncpgConn, sql: Sql, params: Any) -> Any:
            wrong = problems(sql) if issued_by_the_app() else []
            if wrong:
                found[sql.postgres().text] = wrong
            return await method(self, sql, params)

        return run

    for name in ("one", "all", "execute", "execute_many"):
        monkeypatch.setattr(AsyncpgConn, name, checked(getattr(AsyncpgConn, name)))
    yield
    assert not found, "statements Citus would not run on one shard:\n" + "\n".join(
        f"{wrong}: {text}" for text, wrong in found.items()
    )


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    # Webhook delivery runs in the webhook tests' own app (tests/webhooks), not here.
    # The pooler leg's settings come from its environment (MTEJA_DATABASE_POOLER).
    return Settings(
        database_url=database_url,
        log_level="warning",
        webhook_worker=False,
        rate_limit_per_second=UNLIMITED,
    )


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
def backend(database_url: str) -> str:
    return "sqlite" if database_url.startswith("sqlite") else "postgresql"


@asynccontextmanager
async def operator(db: Database) -> AsyncIterator[AccountService]:
    """What an operator's CLI command does: account work in a unit of work of its own."""
    async with UnitOfWork(db) as uow:
        yield AccountService(uow)


@asynccontextmanager
async def reading(db: Database) -> AsyncIterator[Conn]:
    """A look at the stored rows themselves, for what the API does not show."""
    async with UnitOfWork(db) as uow:
        yield await uow.read()


@asynccontextmanager
async def writing(db: Database) -> AsyncIterator[Conn]:
    """A transaction of the test's own, committed when the block ends."""
    async with UnitOfWork(db) as uow:
        yield await uow.write()


async def new_account(app: FastAPI, name: str = "Test merchant") -> CreatedKey:
    async with operator(app.state.db) as accounts:
        return await accounts.create_account(name)


def make_client(app: FastAPI, api_key: str | None) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://mteja.test", headers=headers
    )


@pytest.fixture
async def account(app: FastAPI) -> CreatedKey:
    return await new_account(app)


@pytest.fixture
async def other_account(app: FastAPI) -> CreatedKey:
    return await new_account(app, "Another merchant")


@pytest.fixture
async def client(app: FastAPI, account: CreatedKey) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(app, account.api_key) as http:
        yield http


@pytest.fixture
async def other_client(app: FastAPI, other_account: CreatedKey) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(app, other_account.api_key) as http:
        yield http


@pytest.fixture
async def anon_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(app, None) as http:
        yield http


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session", params=BACKENDS)
async def sdk_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[SdkServer]:
    """One real ``mteja serve`` per backend for the whole session (per xdist worker), shared
    by the SDK's and the merchant CLI's tests; each test makes an account of its own."""
    # Imported here: tests.servers imports this module.
    from tests.servers import sdk_serving

    async with sdk_serving(request.param, tmp_path_factory) as server:
        yield server
