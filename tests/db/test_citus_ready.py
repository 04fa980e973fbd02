"""The schema distributes by account as it is: Citus can distribute a table only when every
primary, unique and foreign key includes the distribution column, ``account_id``. Read from
the catalogue of a database migrated from empty, so a new table or key that forgets it
fails here, on both databases."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from mteja.db import migrate
from tests.conftest import _create_postgres_database, _drop_postgres_database

# Alembic's own bookkeeping: one row, never distributed.
_NOT_DISTRIBUTED = {"alembic_version"}


@pytest.fixture
async def migrated(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'catalogue.db'}"
        await migrate.upgrade(url)
        yield url
        return
    url = await _create_postgres_database()
    try:
        await migrate.upgrade(url)
        yield url
    finally:
        await _drop_postgres_database(url)


def _keys(connection: Connection) -> list[tuple[str, str, list[str]]]:
    """``(table, what, columns)`` for every primary key, unique constraint or index, and
    both sides of every foreign key."""
    inspector = inspect(connection)
    found: list[tuple[str, str, list[str]]] = []
    for table in inspector.get_table_names():
        if table in _NOT_DISTRIBUTED:
            continue
        primary = inspector.get_pk_constraint(table)["constrained_columns"]
        found.append((table, "primary key", primary))
        for unique in inspector.get_unique_constraints(table):
            found.append((table, f"unique {unique['name']}", unique["column_names"]))
        for index in inspector.get_indexes(table):
            if index["unique"]:
                found.append((table, f"unique index {index['name']}", index["column_names"]))
        for key in inspector.get_foreign_keys(table):
            found.append((table, f"foreign key {key['name']}", key["constrained_columns"]))
            referred = f"{key['referred_table']} (referred by {table})"
            found.append((referred, "referred key", key["referred_columns"]))
    return found


async def _catalogue(url: str, read: Callable[[Connection], Any]) -> Any:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(read)
    finally:
        await engine.dispose()


async def test_every_primary_unique_and_foreign_key_includes_the_account(migrated: str) -> None:
    keys = await _catalogue(migrated, _keys)
    assert len({table for table, _, _ in keys}) >= 11
    missing = [
        f"{table}: {what} ({', '.join(columns)})"
        for table, what, columns in keys
        if "account_id" not in columns
    ]
    assert missing == []
