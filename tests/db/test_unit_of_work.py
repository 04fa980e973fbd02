"""The unit of work's promises, which HTTP shows only indirectly: what one unit writes is
seen by others when it commits and never when it rolls back, reads come before any
transaction, and a complete statement runs alone only when nothing else is written."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select, text
from sqlalchemy import table as sql_table

from mteja.db.engine import Database
from mteja.db.sql import Sql
from mteja.db.uow import UnitOfWork
from tests.conftest import database as open_database


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = open_database(database_url, pool_size=2)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
async def table(db: Database) -> AsyncIterator[str]:
    name = f"uow_{uuid.uuid4().hex[:12]}"
    async with UnitOfWork(db) as uow:
        await (await uow.write()).execute(Sql(text(f"CREATE TABLE {name} (n INTEGER)")), {})
    yield name
    async with UnitOfWork(db) as uow:
        await (await uow.write()).execute(Sql(text(f"DROP TABLE {name}")), {})


def insert(table: str, *, complete: bool = False) -> Sql:
    return Sql(text(f"INSERT INTO {table} (n) VALUES (:n)"), complete=complete)


async def count(db: Database, table: str) -> int:
    async with UnitOfWork(db) as uow:
        conn = await uow.read()
        return int(await conn.scalar(Sql(text(f"SELECT count(*) FROM {table}")), {}))


async def test_writes_are_seen_once_committed_and_never_once_rolled_back(
    db: Database, table: str
) -> None:
    uow = UnitOfWork(db)
    try:
        await (await uow.write()).execute(insert(table), {"n": 1})
        assert uow.in_transaction
        await uow.rollback()
        assert not uow.in_transaction
        await (await uow.write()).execute(insert(table), {"n": 2})
        await uow.commit()
    finally:
        await uow.close()
    assert await count(db, table) == 1


async def test_a_unit_closed_without_commit_keeps_nothing(db: Database, table: str) -> None:
    uow = UnitOfWork(db)
    await (await uow.write()).execute(insert(table), {"n": 1})
    await uow.close()
    assert await count(db, table) == 0


async def test_a_block_that_raises_keeps_nothing(db: Database, table: str) -> None:
    async def write_then_fail() -> None:
        async with UnitOfWork(db) as uow:
            await (await uow.write()).execute(insert(table), {"n": 1})
            raise LookupError

    with pytest.raises(LookupError):
        await write_then_fail()
    assert await count(db, table) == 0


async def test_reads_run_outside_a_transaction_until_the_first_write(
    db: Database, table: str
) -> None:
    async with UnitOfWork(db) as uow:
        await (await uow.read()).all(Sql(text(f"SELECT n FROM {table}")), {})
        assert not uow.in_transaction
        writer = await uow.write()
        assert await uow.read() is writer


async def test_callbacks_after_commit_run_only_when_it_commits(db: Database, table: str) -> None:
    ran: list[str] = []
    async with UnitOfWork(db) as uow:
        await (await uow.write()).execute(insert(table), {"n": 1})
        uow.after_commit(lambda: ran.append("first"))
        await uow.rollback()
        await (await uow.write()).execute(insert(table), {"n": 2})
        uow.after_commit(lambda: ran.append("second"))
    assert ran == ["second"]


async def test_a_complete_statement_alone_commits_by_itself_and_refuses_a_second_write(
    db: Database, table: str, backend: str
) -> None:
    if backend == "sqlite":
        # SQLite has no complete statements: a change and its event are two statements in
        # one transaction there, so the rule is PostgreSQL's alone.
        async with UnitOfWork(db) as uow:
            await (await uow.write()).execute(insert(table, complete=True), {"n": 1})
            await (await uow.write()).execute(insert(table), {"n": 2})
            await uow.rollback()
        assert await count(db, table) == 0
        return
    uow = UnitOfWork(db)
    try:
        conn = await uow.write()
        await conn.execute(insert(table, complete=True), {"n": 1})
        # Committed by itself: another unit sees it before this one ends.
        assert await count(db, table) == 1
        # A plain read still runs (a create that met a conflict reads the row in its way).
        counting = Sql(select(func.count()).select_from(sql_table(table)))
        assert await conn.scalar(counting, {}) == 1
        with pytest.raises(RuntimeError, match="not be atomic"):
            await conn.execute(insert(table), {"n": 2})
    finally:
        await uow.close()
    assert await count(db, table) == 1


async def test_begin_keeps_even_a_complete_statement_in_the_transaction(
    db: Database, table: str
) -> None:
    async with UnitOfWork(db) as uow:
        conn = await uow.begin()
        await conn.execute(insert(table, complete=True), {"n": 1})
        await conn.execute(insert(table), {"n": 2})
        assert await count(db, table) == 0  # nothing is seen before the commit
        await uow.rollback()
    assert await count(db, table) == 0
