"""The SDK and the merchant CLI against a real server with a small budget: they wait as
``Retry-After`` tells them and every call gets through, none twice."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from mteja_client import Mteja
from tests.conftest import BACKENDS
from tests.servers import (
    CLI_TIMEOUT,
    create_account_here,
    fresh_database,
    mteja_command,
    server_environment,
    serving_with,
)

pytestmark = pytest.mark.slow

RATE = 5  # bursts of 10


@dataclass(frozen=True)
class Limited:
    base_url: str
    api_key: str


@pytest.fixture(scope="module", params=BACKENDS)
async def limited_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Limited]:
    async with fresh_database(request.param, tmp_path_factory, "clients") as database_url:
        api_key = await create_account_here(database_url, "bootstrap")
        env = server_environment(database_url)
        env.update(MTEJA_RATE_LIMIT_PER_SECOND=str(RATE), MTEJA_WEBHOOK_WORKER="false")
        workdir = tmp_path_factory.mktemp("clients")
        with serving_with(env, workdir) as (_, base_url):
            yield Limited(base_url, api_key)


def test_the_sdk_waits_out_429s_and_every_create_lands_once(limited_server: Limited) -> None:
    count = 3 * 2 * RATE  # three bursts' worth, in a row
    started = time.monotonic()
    with Mteja(api_key=limited_server.api_key, base_url=limited_server.base_url) as client:
        created = [
            client.customers.create(name=f"Burst {n}", email=f"sdk-burst-{n}@example.com")
            for n in range(count)
        ]
        listed = {c.id for c in client.customers.list() if c.name.startswith("Burst")}
    elapsed = time.monotonic() - started
    assert {c.id for c in created} == listed
    assert len(listed) == count
    # Past the first burst the budget refills at RATE a second: the client waited.
    assert elapsed >= (count - 2 * RATE) / RATE - 1


def test_the_cli_import_waits_out_429s_and_imports_every_row(
    limited_server: Limited, tmp_path_factory: pytest.TempPathFactory
) -> None:
    workdir = tmp_path_factory.mktemp("import")
    rows = 4 * RATE
    source = workdir / "customers.jsonl"
    source.write_text(
        "".join(
            json.dumps({"name": f"Imported {n}", "email": f"cli-import-{n}@example.com"}) + "\n"
            for n in range(rows)
        )
    )
    env = server_environment("unused")
    env.update(MTEJA_API_KEY=limited_server.api_key, MTEJA_API_URL=limited_server.base_url)
    result = subprocess.run(
        [*mteja_command(), "customers", "import", str(source)],
        env=env,
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    with Mteja(api_key=limited_server.api_key, base_url=limited_server.base_url) as client:
        imported = [c for c in client.customers.list() if c.name.startswith("Imported")]
    assert len(imported) == rows
