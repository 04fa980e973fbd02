"""The database handle: one engine per process, transactions shaped per dialect."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


class Database:
    """Hands out connections for reads (no transaction) and for writes (one transaction).

    A single-statement read needs no transaction: on PostgreSQL it runs in autocommit,
    which saves the BEGIN and COMMIT round trips. Writes on SQLite begin with
    ``BEGIN IMMEDIATE`` so that a read-then-write transaction takes the write lock up
    front and waits on ``busy_timeout`` instead of failing with SQLITE_BUSY.
    """

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.dialect = "sqlite" if self.is_sqlite else "postgresql"
        self.engine = self._create_engine(url, pool_size)
        self._reader = self.engine.execution_options(isolation_level="AUTOCOMMIT")

    def _create_engine(self, url: str, pool_size: int) -> AsyncEngine:
        common: dict[str, Any] = {
            "hide_parameters": True,  # no customer data in exception text or logs
            "json_serializer": _dumps,
            "json_deserializer": orjson.loads,
            "pool_size": pool_size,
            "max_overflow": pool_size,
        }
        if self.is_sqlite:
            engine = create_async_engine(url, connect_args={"timeout": 30}, **common)
            event.listen(engine.sync_engine, "connect", _configure_sqlite_connection)
            event.listen(engine.sync_engine, "begin", _begin_sqlite_transaction)
            return engine
        return create_async_engine(
            url,
            connect_args={"server_settings": {"jit": "off", "application_name": "mteja"}},
            **common,
        )

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self._reader.connect() as conn:
            yield conn

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """One transaction: committed when the block ends, rolled back on any exception."""
        async with self.engine.begin() as conn:
            yield conn

    async def dispose(self) -> None:
        await self.engine.dispose()


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    # The driver's own implicit BEGIN is switched off; _begin_sqlite_transaction decides.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _begin_sqlite_transaction(conn: Connection) -> None:
    if conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
        return
    conn.exec_driver_sql("BEGIN IMMEDIATE")
