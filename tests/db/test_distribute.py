"""``mteja db distribute``: without the citus extension (this machine's PostgreSQL) it
refuses with a clear message and a non-zero exit, changing nothing; ``--dry-run`` shows
the Citus calls an operator would run (docs/scaling.md)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mteja.db import migrate
from mteja.db.citus import REFERENCE_TABLES
from tests.citus import DISTRIBUTED
from tests.conftest import direct_url
from tests.servers import CLI_TIMEOUT, fresh_database, mteja_command, server_environment


def _distribute(database_url: str, workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*mteja_command(), "db", "distribute", *args],
        env=server_environment(database_url),
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
        check=False,
    )


async def test_distribute_refuses_without_the_citus_extension(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    workdir = tmp_path_factory.mktemp("distribute")
    async with fresh_database("postgresql", tmp_path_factory, "distribute") as url:
        await migrate.upgrade(direct_url(url))
        refused = _distribute(url, workdir)
        assert refused.returncode != 0, refused.stdout
        assert "citus extension is not installed" in refused.stderr.replace("\n", " ")
        assert "Traceback" not in refused.stderr
        assert "create_distributed_table" not in refused.stdout

        planned = _distribute(url, workdir, "--dry-run")
        assert planned.returncode == 0, planned.stderr
        calls = [line for line in planned.stdout.splitlines() if line.startswith("SELECT")]
        references = len(REFERENCE_TABLES)
        assert calls[:references] == [
            f"SELECT create_reference_table('{name}')" for name in REFERENCE_TABLES
        ]
        assert calls[references] == (
            "SELECT create_distributed_table('customers', 'account_id', colocate_with => 'none')"
        )
        colocated = {
            call.split("'")[1]
            for call in calls[references + 1 :]
            if call.endswith("colocate_with => 'customers')")
        }
        assert colocated | {"customers"} == DISTRIBUTED
        assert len(calls) == references + len(DISTRIBUTED)
