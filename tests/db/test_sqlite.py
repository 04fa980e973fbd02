"""SQLite's statements run on the event loop; these are the promises that keep that safe:
a long read moves to a thread and still answers, a write waiting for another process's
lock keeps the loop serving, and commits by other connections are noticed."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text

from mteja.db import migrate
from mteja.db.engine import Database
from mteja.db.sql import Sql
from mteja.db.uow import UnitOfWork

# Millions of steps: far over the loop's budget for one read.
_LONG_READ = Sql(
    text(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300000) "
        "SELECT count(*) AS total, sum(i) AS total_sum FROM n"
    )
)
_SHORT_READ = Sql(text("SELECT 1 AS one"))


@pytest.fixture
async def sqlite_file(tmp_path: Path) -> AsyncIterator[tuple[Database, Path]]:
    path = tmp_path / "mteja.db"
    url = f"sqlite+aiosqlite:///{path}"
    await migrate.upgrade(url)
    db = Database(url, pool_size=2)
    try:
        yield db, path
    finally:
        await db.dispose()


async def test_a_read_over_the_loops_budget_runs_on_a_thread_and_answers_in_full(
    sqlite_file: tuple[Database, Path],
) -> None:
    db, _ = sqlite_file
    async with UnitOfWork(db) as uow:
        conn = await uow.read()
        row = await conn.one(_LONG_READ, {})
        assert row is not None
        assert (row["total"], row["total_sum"]) == (300_000, 300_000 * 300_001 // 2)
        # The loop's reader is usable again at once.
        assert await conn.scalar(_SHORT_READ, {}) == 1


async def test_a_write_waiting_for_another_process_lock_keeps_the_loop_serving(
    sqlite_file: tuple[Database, Path],
) -> None:
    db, path = sqlite_file
    assert db.sqlite_data_version() is not None  # the server has opened the file (WAL)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        waiting = UnitOfWork(db)
        write = asyncio.create_task(waiting.write())
        await asyncio.sleep(0.2)
        assert not write.done()
        # Meanwhile the same process reads, on the loop that the write does not block.
        async with UnitOfWork(db) as reader:
            assert await (await reader.read()).scalar(_SHORT_READ, {}) == 1
        other.execute("COMMIT")
        conn = await asyncio.wait_for(write, timeout=10)
        await conn.execute(Sql(text("CREATE TABLE after_the_wait (n INTEGER)")), {})
        await waiting.commit()
        await waiting.close()
    finally:
        other.close()
    async with UnitOfWork(db) as uow:
        found = await (await uow.read()).scalar(
            Sql(text("SELECT count(*) FROM sqlite_master WHERE name = 'after_the_wait'")), {}
        )
    assert found == 1


async def test_a_commit_by_another_connection_changes_data_version(
    sqlite_file: tuple[Database, Path],
) -> None:
    db, path = sqlite_file
    before = db.sqlite_data_version()
    assert before is not None
    assert db.sqlite_data_version() == before  # nothing committed since
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("CREATE TABLE elsewhere (n INTEGER)")
    finally:
        other.close()
    assert db.sqlite_data_version() != before
