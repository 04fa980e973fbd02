"""Several server processes on one database: ``mteja serve --workers N``, and separate
servers beside the operator's CLI (API.md §9, §15).

Every server keeps verified API keys in memory; a key revoked by another process (here
``mteja keys revoke``) must be refused by every server process on its next request, on
SQLite (where the servers notice other connections' commits) as on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from mteja.accounts.keys import presented_key
from tests.conftest import BACKENDS
from tests.servers import (
    CLI_TIMEOUT,
    HOST,
    HTTP_TIMEOUT,
    SHUTDOWN_TIMEOUT,
    STARTUP_TIMEOUT,
    create_account,
    free_port,
    fresh_database,
    mteja_command,
    server_environment,
    serving,
)

pytestmark = pytest.mark.slow

# Enough requests that, spread by the kernel over a server's processes, every process
# answers some of them.
REQUESTS = 40


@pytest.fixture(params=BACKENDS)
async def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    async with fresh_database(request.param, tmp_path_factory, "processes") as url:
        yield url


def _revoke(database_url: str, workdir: Path, api_key: str) -> None:
    presented = presented_key(api_key)
    assert presented is not None
    key_id = presented.key_id
    result = subprocess.run(
        [*mteja_command(), "keys", "revoke", key_id],
        env=server_environment(database_url),
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stderr


async def _statuses(base_url: str, api_key: str, count: int) -> list[int]:
    headers = {"Authorization": f"Bearer {api_key}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=HTTP_TIMEOUT) as http:
        responses = await asyncio.gather(
            *(http.get("/api/v1/customers", params={"limit": 1}) for _ in range(count))
        )
    return [response.status_code for response in responses]


async def test_a_key_revoked_by_the_cli_is_refused_by_every_server_on_its_next_request(
    database_url: str, tmp_path: Path
) -> None:
    api_key = create_account(database_url, tmp_path, "Revocation merchant")
    with serving(database_url, tmp_path, 2) as base_urls:
        for base_url in base_urls:  # each server has verified, and cached, the key
            assert await _statuses(base_url, api_key, 3) == [200] * 3
        # A write by one server does not make the other forget a good key.
        async with httpx.AsyncClient(
            base_url=base_urls[0], headers={"Authorization": f"Bearer {api_key}"}
        ) as http:
            created = await http.post(
                "/api/v1/customers", json={"name": "Asha Juma", "email": "asha@example.com"}
            )
        assert created.status_code == 201
        assert await _statuses(base_urls[1], api_key, 3) == [200] * 3

        _revoke(database_url, tmp_path, api_key)

        for base_url in base_urls:
            assert await _statuses(base_url, api_key, 3) == [401] * 3


async def test_serve_with_two_workers_shares_one_port_and_one_database(
    database_url: str, tmp_path: Path
) -> None:
    api_key = create_account(database_url, tmp_path, "Workers merchant")
    with serving(database_url, tmp_path, 1, workers=2) as (base_url,):
        headers = {"Authorization": f"Bearer {api_key}"}
        async with httpx.AsyncClient(
            base_url=base_url, headers=headers, timeout=HTTP_TIMEOUT
        ) as http:
            creates = await asyncio.gather(
                *(
                    http.post(
                        "/api/v1/customers",
                        json={"name": f"Customer {index}", "email": f"c{index}@example.com"},
                    )
                    for index in range(REQUESTS // 2)
                )
            )
            assert [response.status_code for response in creates] == [201] * (REQUESTS // 2)
            listed = await http.get("/api/v1/customers", params={"limit": 100})
            assert len(listed.json()["data"]) == REQUESTS // 2

        assert await _statuses(base_url, api_key, REQUESTS) == [200] * REQUESTS
        _revoke(database_url, tmp_path, api_key)
        assert await _statuses(base_url, api_key, REQUESTS) == [401] * REQUESTS


def test_serve_with_two_workers_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'mteja.db'}"
    create_account(database_url, tmp_path, "Stopping merchant")
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*mteja_command(), "serve", "--host", HOST, "--port", str(port), "--workers", "2"],
            env=server_environment(database_url),
            cwd=tmp_path,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 2 * STARTUP_TIMEOUT
        ready = False
        with httpx.Client(base_url=f"http://{HOST}:{port}", timeout=2.0) as http:
            while not ready and time.monotonic() < deadline:
                try:
                    ready = http.get("/readyz").status_code == 200
                except httpx.TransportError:
                    time.sleep(0.2)
        assert ready, log.read_text(errors="replace")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=SHUTDOWN_TIMEOUT * 3) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=SHUTDOWN_TIMEOUT)
