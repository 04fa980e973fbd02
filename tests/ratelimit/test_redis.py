"""Budgets shared through a real Redis by real server processes, and what a server does
when Redis goes away and comes back: it keeps serving (limited per process), logs the
outage once, counts it in /metrics, and shares budgets again once Redis answers.

Redis is reached through a small TCP relay that the test can cut and restore, so the
shared Redis itself is never stopped; keys carry a prefix of their own per test.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import httpx
import pytest

from mteja.api.app import create_app
from tests.conftest import BACKENDS, new_account
from tests.ratelimit.conftest import BURST, RATE, client_of, limited_settings, redis_prefix
from tests.servers import (
    create_account_here,
    free_port,
    fresh_database,
    log_tail,
    server_environment,
    serving_with,
)

pytestmark = pytest.mark.slow

CUSTOMERS = "/api/v1/customers"
REDIS = ("127.0.0.1", 6379)
OUTAGE_LOG = "rate limit store unavailable"
RECOVERY_LOG = "rate limit store available again"


class Relay:
    """A TCP relay to Redis on a port of its own, which ``cut`` closes (every connection
    and the listener) and ``restore`` opens again on the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def restore(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)

    async def cut(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        await self._server.wait_closed()
        self._server = None

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(*REDIS)
        self._writers.update((writer, upstream_writer))
        try:
            await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))
        finally:
            for end in (writer, upstream_writer):
                self._writers.discard(end)
                end.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError, OSError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.close()


@asynccontextmanager
async def relay() -> AsyncIterator[Relay]:
    running = Relay()
    await running.restore()
    try:
        yield running
    finally:
        if running._server is not None:
            await running.cut()


def limited_environment(database_url: str, redis_url: str, prefix: str) -> dict[str, str]:
    env = server_environment(database_url)
    env.update(
        MTEJA_RATE_LIMIT_PER_SECOND=str(RATE),
        MTEJA_REDIS_URL=redis_url,
        MTEJA_REDIS_KEY_PREFIX=prefix,
        MTEJA_WEBHOOK_WORKER="false",
    )
    return env


@contextmanager
def servers(env: dict[str, str], workdir: Path, count: int) -> Iterator[list[str]]:
    with contextlib.ExitStack() as stack:
        yield [
            stack.enter_context(serving_with(env, workdir, name=f"serve-{n}"))[1]
            for n in range(count)
        ]


def metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    pytest.fail(f"{name} not in /metrics")


@pytest.mark.parametrize("backend", BACKENDS)
async def test_two_server_processes_share_one_budget_through_redis(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    async with fresh_database(backend, tmp_path_factory, "shared") as database_url:
        api_key = await create_account_here(database_url, "shared budget")
        workdir = tmp_path_factory.mktemp("shared")
        env = limited_environment(database_url, "redis://127.0.0.1:6379/0", redis_prefix())
        with servers(env, workdir, 2) as (first, second):
            headers = {"Authorization": f"Bearer {api_key}"}
            async with (
                httpx.AsyncClient(base_url=first, headers=headers) as one,
                httpx.AsyncClient(base_url=second, headers=headers) as two,
            ):
                started = time.monotonic()
                answers = [await (one, two)[n % 2].get(CUSTOMERS) for n in range(2 * BURST)]
                elapsed = time.monotonic() - started
    admitted = [a for a in answers if a.status_code == 200]
    refused = [a for a in answers if a.status_code == 429]
    assert len(admitted) + len(refused) == len(answers)
    # Each process alone would have admitted a whole burst: together they admit one.
    assert len(admitted) <= BURST + RATE * elapsed + 1, elapsed
    assert {a.url.port for a in refused} == {a.url.port for a in answers}


async def test_an_unreachable_redis_still_serves_and_is_counted(database_url: str) -> None:
    # Nothing listens on port 1: every attempt is refused at once.
    settings = limited_settings(
        database_url, redis_url="redis://127.0.0.1:1/0", redis_key_prefix=redis_prefix()
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        account = await new_account(app)
        async with client_of(app, account.api_key) as http:
            answers = [await http.get(CUSTOMERS) for _ in range(BURST)]
        async with client_of(app, None) as operations:
            metrics = (await operations.get("/metrics")).text
    assert {a.status_code for a in answers} == {200}
    assert all("RateLimit-Remaining" in a.headers for a in answers)
    assert metric(metrics, "mteja_rate_limit_redis_failures_total") >= 1
    assert metric(metrics, "mteja_rate_limit_redis_available") == 0


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_server_keeps_serving_while_redis_is_away_and_shares_again_once_back(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    async with (
        fresh_database(backend, tmp_path_factory, "outage") as database_url,
        relay() as redis,
    ):
        api_key = await create_account_here(database_url, "outage")
        workdir = tmp_path_factory.mktemp("outage")
        env = limited_environment(database_url, redis.url, redis_prefix())
        with servers(env, workdir, 1) as (base_url,):
            headers = {"Authorization": f"Bearer {api_key}"}
            async with httpx.AsyncClient(base_url=base_url, headers=headers) as http:
                assert (await http.get(CUSTOMERS)).status_code == 200
                await redis.cut()
                during = []
                for _ in range(3 * RATE):
                    during.append(await http.get(CUSTOMERS))
                    await asyncio.sleep(1 / RATE)  # within budget: only the outage shows
                down = (await http.get("/metrics")).text
                await redis.restore()
                await asyncio.sleep(1.5)  # the next try of Redis, a second after the last
                after = [await http.get(CUSTOMERS) for _ in range(3)]
                up = (await http.get("/metrics")).text
        log = log_tail(workdir, "serve-0", lines=1000)
    assert {a.status_code for a in during} == {200}, [a.text for a in during]
    assert all("RateLimit-Remaining" in a.headers for a in during)
    assert {a.status_code for a in after} == {200}
    assert metric(down, "mteja_rate_limit_redis_failures_total") >= 1
    assert metric(down, "mteja_rate_limit_redis_available") == 0
    assert metric(up, "mteja_rate_limit_redis_available") == 1
    # Logged once for the whole outage, not once per request; and once when it ended.
    assert log.count(OUTAGE_LOG) == 1, log
    assert log.count(RECOVERY_LOG) == 1, log
