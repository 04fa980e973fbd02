"""Races between real server processes sharing one database (API.md §8).

Two ``mteja serve`` processes run on one fresh database (a PostgreSQL database of their own,
or one SQLite file in WAL mode); requests are split between them and fired at once. The
account comes from ``mteja accounts create --json``, which also migrates the database, so
the servers start on a ready schema and do not race each other's migrations.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import BACKENDS, _create_postgres_database, _drop_postgres_database

pytestmark = pytest.mark.slow

HOST = "127.0.0.1"
SERVERS = 2
CREATES_PER_RACE = 20
CREATE_RACES = 3
PATCH_ROUNDS = 6
STARTUP_TIMEOUT = 60.0
SHUTDOWN_TIMEOUT = 10.0
CLI_TIMEOUT = 120.0
HTTP_TIMEOUT = httpx.Timeout(30.0)


@dataclass(frozen=True)
class Cluster:
    backend: str
    api_key: str
    base_urls: list[str]


def _mteja_command() -> list[str]:
    """The installed ``mteja`` console script of the interpreter running the tests."""
    script = shutil.which("mteja", path=str(Path(sys.executable).parent)) or shutil.which("mteja")
    if script is None:
        pytest.fail("the `mteja` command is not installed (run `uv sync`)", pytrace=False)
    return [script]


def _environment(database_url: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("MTEJA_")}
    env.update(MTEJA_DATABASE_URL=database_url, MTEJA_LOG_LEVEL="warning")
    return env


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _create_account(database_url: str, workdir: Path) -> str:
    result = subprocess.run(
        [*_mteja_command(), "accounts", "create", "Race merchant", "--json"],
        env=_environment(database_url),
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, f"mteja accounts create failed:\n{result.stderr}"
    return str(json.loads(result.stdout)["api_key"])


def _log_tail(path: Path, lines: int = 40) -> str:
    text = path.read_text(errors="replace") if path.exists() else ""
    return "\n".join(text.splitlines()[-lines:])


def _wait_until_ready(process: subprocess.Popen[bytes], base_url: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
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
        f"mteja serve at {base_url} not ready after {STARTUP_TIMEOUT:.0f} s:\n{_log_tail(log)}",
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
def _serving(database_url: str, workdir: Path, count: int) -> Iterator[list[str]]:
    """``count`` servers on one database, started together; always stopped on exit."""
    with ExitStack() as stack:
        started: list[tuple[subprocess.Popen[bytes], str, Path]] = []
        for _ in range(count):
            port = _free_port()
            log = workdir / f"serve-{port}.log"
            output = stack.enter_context(log.open("wb"))
            process = subprocess.Popen(
                [*_mteja_command(), "serve", "--host", HOST, "--port", str(port)],
                env=_environment(database_url),
                cwd=workdir,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
            stack.callback(_stop, process)
            started.append((process, f"http://{HOST}:{port}", log))
        for process, base_url, log in started:
            _wait_until_ready(process, base_url, log)
        yield [base_url for _, base_url, _ in started]


@pytest.fixture(scope="module", params=BACKENDS)
async def race_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """A fresh, empty database shared by this module's servers only."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('race-sqlite') / 'mteja.db'}"
        return
    url = await _create_postgres_database()
    try:
        yield url
    finally:
        await _drop_postgres_database(url)


@pytest.fixture(scope="module")
def cluster(race_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    workdir = tmp_path_factory.mktemp("race-servers")
    api_key = _create_account(race_database, workdir)
    backend = "sqlite" if race_database.startswith("sqlite") else "postgresql"
    with _serving(race_database, workdir, SERVERS) as base_urls:
        yield Cluster(backend=backend, api_key=api_key, base_urls=base_urls)


async def _clients(stack: AsyncExitStack, cluster: Cluster) -> list[httpx.AsyncClient]:
    headers = {"Authorization": f"Bearer {cluster.api_key}"}
    return [
        await stack.enter_async_context(
            httpx.AsyncClient(
                base_url=url,
                headers=headers,
                timeout=HTTP_TIMEOUT,
                limits=httpx.Limits(max_connections=CREATES_PER_RACE),
            )
        )
        for url in cluster.base_urls
    ]


def _statuses(responses: list[httpx.Response]) -> list[int]:
    return sorted(response.status_code for response in responses)


async def test_concurrent_creates_with_one_email_give_one_201_and_only_409s(
    cluster: Cluster,
) -> None:
    async with AsyncExitStack() as stack:
        servers = await _clients(stack, cluster)
        for race in range(CREATE_RACES):
            email = f"race-{uuid.uuid4().hex[:12]}@example.com"
            # Uniqueness is case-insensitive: some racers shout the same address.
            bodies = [
                {"name": f"Racer {race}.{n}", "email": email.upper() if n % 3 == 0 else email}
                for n in range(CREATES_PER_RACE)
            ]
            responses = await asyncio.gather(
                *(
                    http.post("/api/v1/customers", json=body)
                    for http, body in zip(itertools.cycle(servers), bodies, strict=False)
                )
            )

            statuses = _statuses(responses)
            assert statuses == [201] + [409] * (CREATES_PER_RACE - 1), (
                f"{cluster.backend}, race {race}: {statuses}\n"
                + "\n".join(r.text for r in responses if r.status_code not in (201, 409))
            )
            winner = next(r.json() for r in responses if r.status_code == 201)
            for response in responses:
                if response.status_code == 409:
                    error = response.json()["error"]
                    assert error["code"] == "customer_already_exists", response.text
                    assert winner["id"] in error["message"], response.text

            for http in servers:
                listed = await http.get("/api/v1/customers", params={"email": email, "limit": 100})
                assert listed.status_code == 200, listed.text
                assert [c["id"] for c in listed.json()["data"]] == [winner["id"]]


async def test_concurrent_patches_of_different_fields_on_two_servers_both_survive(
    cluster: Cluster,
) -> None:
    async with AsyncExitStack() as stack:
        first, second = await _clients(stack, cluster)
        email = f"patch-{uuid.uuid4().hex[:12]}@example.com"
        created = await first.post("/api/v1/customers", json={"name": "Round 0", "email": email})
        assert created.status_code == 201, created.text
        path = f"/api/v1/customers/{created.json()['id']}"
        statuses = itertools.cycle(["inactive", "suspended", "active"])

        for round_ in range(1, PATCH_ROUNDS + 1):
            name, status = f"Round {round_}", next(statuses)
            renamed, restatused = await asyncio.gather(
                first.patch(path, json={"name": name}),
                second.patch(path, json={"status": status}),
            )
            assert renamed.status_code == 200, f"{cluster.backend}: {renamed.text}"
            assert restatused.status_code == 200, f"{cluster.backend}: {restatused.text}"
            assert renamed.json()["name"] == name
            assert restatused.json()["status"] == status
            assert renamed.headers["ETag"] != restatused.headers["ETag"]

            for http in (first, second):
                current = await http.get(path)
                assert current.status_code == 200, current.text
                assert (current.json()["name"], current.json()["status"]) == (name, status), (
                    f"{cluster.backend}, round {round_}: a concurrent PATCH was lost"
                )
                assert current.headers["ETag"] in (
                    renamed.headers["ETag"],
                    restatused.headers["ETag"],
                )
