"""Real ``mteja serve`` processes for tests that need more than one server on one database.

``fresh_database`` gives a new, empty database (a PostgreSQL database of its own, or one
SQLite file that the processes share in WAL mode); ``running_cluster`` creates an account
with ``mteja accounts create --json`` (which also migrates, so the servers start on a ready
schema and do not race each other's migrations), starts the servers on free loopback ports,
waits for ``/readyz`` and always stops them again.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, ExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import bindparam, func, select

from mteja.customers.tables import customers
from mteja.db import migrate
from mteja.db.engine import Database
from mteja.db.sql import Sql
from tests.conftest import (
    UNLIMITED,
    _create_postgres_database,
    _drop_postgres_database,
    database,
    direct_url,
    operator,
    reading,
)
from tests.pooler import POOLED

HOST = "127.0.0.1"
STARTUP_TIMEOUT = 60.0
SHUTDOWN_TIMEOUT = 10.0
CLI_TIMEOUT = 120.0
HTTP_TIMEOUT = httpx.Timeout(30.0)


@dataclass(frozen=True)
class Cluster:
    backend: str
    api_key: str
    base_urls: list[str]


def mteja_command() -> list[str]:
    """The installed ``mteja`` console script of the interpreter running the tests."""
    script = shutil.which("mteja", path=str(Path(sys.executable).parent)) or shutil.which("mteja")
    if script is None:
        pytest.fail("the `mteja` command is not installed (run `uv sync`)", pytrace=False)
    return [script]


def server_environment(database_url: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("MTEJA_")}
    # Load and fault tests send more than a merchant's budget from one address; the rate
    # limits' own tests set MTEJA_RATE_LIMIT_PER_SECOND themselves.
    env.update(
        MTEJA_DATABASE_URL=database_url,
        MTEJA_LOG_LEVEL="warning",
        MTEJA_RATE_LIMIT_PER_SECOND=str(UNLIMITED),
    )
    if POOLED and database_url.startswith("postgresql"):
        # As docs/scaling.md sets it up: key revocations still LISTEN past the pooler.
        env["MTEJA_DATABASE_POOLER"] = "pgbouncer"
        env["MTEJA_DATABASE_DIRECT_URL"] = direct_url(database_url)
    return env


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def create_account(database_url: str, workdir: Path, name: str) -> str:
    """A new account's secret API key, made by the CLI (which migrates the database first)."""
    result = subprocess.run(
        [*mteja_command(), "accounts", "create", name, "--json"],
        env=server_environment(database_url),
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, f"mteja accounts create failed:\n{result.stderr}"
    return str(json.loads(result.stdout)["api_key"])


async def create_account_here(database_url: str, name: str) -> str:
    """What ``create_account`` does (migrate, then a new account's secret API key), in this
    process: a CLI start costs seconds, and tests that start many processes add up."""
    await migrate.upgrade(database_url, pooled=POOLED)
    db = database(database_url, pool_size=1)
    try:
        async with operator(db) as accounts:
            return (await accounts.create_account(name)).api_key
    finally:
        await db.dispose()


def _log_tail(path: Path, lines: int = 40) -> str:
    text = path.read_text(errors="replace") if path.exists() else ""
    return "\n".join(text.splitlines()[-lines:])


def _wait_until_ready(
    process: subprocess.Popen[bytes], base_url: str, log: Path, timeout: float = STARTUP_TIMEOUT
) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=base_url, timeout=2.0) as http:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(
                    f"mteja serve exited with {process.returncode}:\n{_log_tail(log)}",
                    pytrace=False,
                )
            try:
                if http.get("/readyz").status_code == 200:
                    return
            except httpx.TransportError:
                pass  # not listening yet
            time.sleep(0.1)
    pytest.fail(
        f"mteja serve at {base_url} not ready after {timeout:.0f} s:\n{_log_tail(log)}",
        pytrace=False,
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=SHUTDOWN_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=SHUTDOWN_TIMEOUT)


@contextmanager
def serving(
    database_url: str, workdir: Path, count: int, *, workers: int = 1
) -> Iterator[list[str]]:
    """``count`` servers on one database, started together, each ``mteja serve --workers
    workers``; always stopped on exit."""
    with ExitStack() as stack:
        started: list[tuple[subprocess.Popen[bytes], str, Path]] = []
        for _ in range(count):
            port = free_port()
            log = workdir / f"serve-{port}.log"
            output = stack.enter_context(log.open("wb"))
            command = ["serve", "--host", HOST, "--port", str(port), "--workers", str(workers)]
            process = subprocess.Popen(
                [*mteja_command(), *command],
                env=server_environment(database_url),
                cwd=workdir,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
            stack.callback(_stop, process)
            started.append((process, f"http://{HOST}:{port}", log))
        for process, base_url, log in started:
            # Each of a server's processes imports the app before it answers.
            _wait_until_ready(process, base_url, log, STARTUP_TIMEOUT * workers)
        yield [base_url for _, base_url, _ in started]


@asynccontextmanager
async def fresh_database(
    backend: str, tmp_path_factory: pytest.TempPathFactory, name: str
) -> AsyncIterator[str]:
    """A new, empty database (not migrated) of ``backend``, dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path_factory.mktemp(f'{name}-sqlite') / 'mteja.db'}"
        return
    url = await _create_postgres_database()
    try:
        yield url
    finally:
        await _drop_postgres_database(url)


@contextmanager
def running_cluster(
    database_url: str, workdir: Path, servers: int, account_name: str
) -> Iterator[Cluster]:
    """An account and ``servers`` processes serving it from ``database_url``."""
    api_key = create_account(database_url, workdir, account_name)
    backend = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    with serving(database_url, workdir, servers) as base_urls:
        yield Cluster(backend=backend, api_key=api_key, base_urls=base_urls)


async def cluster_clients(
    stack: AsyncExitStack, cluster: Cluster, max_connections: int
) -> list[httpx.AsyncClient]:
    """One authenticated client per server, closed with ``stack``."""
    headers = {"Authorization": f"Bearer {cluster.api_key}"}
    return [
        await stack.enter_async_context(
            httpx.AsyncClient(
                base_url=url,
                headers=headers,
                timeout=HTTP_TIMEOUT,
                limits=httpx.Limits(max_connections=max_connections),
            )
        )
        for url in cluster.base_urls
    ]


# --- single processes with their own flags and settings (webhook fault tests) ----------------


def start_mteja(
    args: list[str], env: dict[str, str], workdir: Path, name: str
) -> subprocess.Popen[bytes]:
    """``mteja *args`` in the background, its output in ``workdir/<name>.log``; the caller
    stops it (``stop_process``)."""
    log = workdir / f"{name}.log"
    with log.open("ab") as output:
        return subprocess.Popen(
            [*mteja_command(), *args], env=env, cwd=workdir, stdout=output, stderr=subprocess.STDOUT
        )


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL if it does not exit in time; nothing if it already exited."""
    _stop(process)


def log_tail(workdir: Path, name: str, lines: int = 40) -> str:
    return _log_tail(workdir / f"{name}.log", lines)


@contextmanager
def serving_with(
    env: dict[str, str], workdir: Path, *flags: str, name: str = "serve"
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """One ``mteja serve *flags`` with ``env``, ready; its process and base URL. Always
    stopped on exit (unless the test already killed it)."""
    port = free_port()
    process = start_mteja(
        ["serve", "--host", HOST, "--port", str(port), *flags], env, workdir, name
    )
    try:
        base_url = f"http://{HOST}:{port}"
        _wait_until_ready(process, base_url, workdir / f"{name}.log")
        yield process, base_url
    finally:
        _stop(process)


def webhook_environment(database_url: str, **settings: str) -> dict[str, str]:
    """``server_environment`` with quick webhook timings and loopback receivers allowed;
    ``settings`` (``timeout_seconds="5"``…) override the ``MTEJA_WEBHOOK_*`` values."""
    values = {
        "allow_private_targets": "true",
        "timeout_seconds": "1",
        "first_retry_seconds": "0.2",
        "retry_window_seconds": "600",
        "poll_interval_seconds": "0.05",
        **settings,
    }
    env = server_environment(database_url)
    env.update({f"MTEJA_WEBHOOK_{name.upper()}": value for name, value in values.items()})
    return env


# --- one real server per backend, shared by the SDK and merchant CLI tests ----------------

_CUSTOMER_COUNT = Sql(
    select(func.count())
    .select_from(customers)
    .where(customers.c.account_id == bindparam("account_id"))
)


@dataclass(frozen=True)
class SdkServer:
    """A running ``mteja serve`` and its database, for tests that reach it over HTTP."""

    backend: str
    base_url: str
    db: Database

    async def new_account(self, name: str = "SDK merchant") -> tuple[str, str]:
        """A new account's id and secret key."""
        async with operator(self.db) as accounts:
            created = await accounts.create_account(name)
        return created.account_id, created.api_key

    async def new_key(self, name: str = "SDK merchant") -> str:
        return (await self.new_account(name))[1]

    async def customer_count(self, account_id: str) -> int:
        async with reading(self.db) as conn:
            return int(await conn.scalar(_CUSTOMER_COUNT, {"account_id": account_id}))


@asynccontextmanager
async def sdk_serving(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[SdkServer]:
    """``mteja serve`` on a fresh database of ``backend``, delivering webhooks in-process
    to loopback receivers with quick timings."""
    async with fresh_database(backend, tmp_path_factory, "sdk") as database_url:
        # Migrates first, so the server starts on a ready schema.
        await create_account_here(database_url, "bootstrap")
        workdir = tmp_path_factory.mktemp(f"sdk-{backend}")
        with serving_with(webhook_environment(database_url), workdir) as (_, base_url):
            db = database(database_url, pool_size=2)
            try:
                yield SdkServer(backend=backend, base_url=base_url, db=db)
            finally:
                await db.dispose()
