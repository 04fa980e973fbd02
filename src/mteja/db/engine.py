"""The database handle: where connections come from. Units of work (``db.uow``) use them.

PostgreSQL goes through an asyncpg pool; SQLite through SQLAlchemy's aiosqlite engine
(see ``db.sql`` for why): one writing connection, and a small pool of readers in
autocommit. Nothing outside ``db`` sees a driver connection.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import asyncpg
import orjson
from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncTransaction,
    create_async_engine,
)

from mteja.db.sql import AsyncpgConn, Conn, SqlAlchemyConn

Release = Callable[[], Awaitable[Any]]

# Readers in WAL mode run in parallel, but each holds a page cache: a few suffice on a
# machine where one process serves the API.
_SQLITE_READERS = 4


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


class Database:
    """A single-statement read needs no transaction, so readers run in autocommit and save
    the BEGIN and COMMIT round trips. Writes on SQLite begin with ``BEGIN IMMEDIATE`` so
    that a read-then-write transaction takes the write lock up front and waits on
    ``busy_timeout`` instead of failing with SQLITE_BUSY.
    """

    def __init__(self, url: str, *, pool_size: int = 10, pooled: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        # Behind a pooler in transaction mode (PgBouncer): see _connect_options.
        self.pooled = pooled and not self.is_sqlite
        self.dialect = "sqlite" if self.is_sqlite else "postgresql"
        self.pool_size = pool_size
        self._engine: AsyncEngine | None = None
        self._pool: asyncpg.Pool | None = None
        self._pool_lock = asyncio.Lock()
        if self.is_sqlite:
            # SQLite runs one write at a time anyway: one writing connection queues this
            # process's writers in order, instead of in SQLite's sleeping busy handler.
            self._engine = _sqlite_engine(url, 1, writer=True)
            # A pool of its own that is always in autocommit: no isolation level to set on
            # checkout and reset on return, and no rollback on return (each a thread hop).
            self._reader = _sqlite_engine(
                url,
                min(pool_size, _SQLITE_READERS),
                writer=False,
                isolation_level="AUTOCOMMIT",
                pool_reset_on_return=None,
            )

    async def connection(self) -> tuple[Conn, Release]:
        """A connection outside any transaction (autocommit), and how to give it back:
        PostgreSQL's pool, or one of SQLite's readers."""
        if self._engine is not None:
            connection = await self._reader.connect()
            return SqlAlchemyConn(connection), connection.close
        pool = self._pool or await self._open_pool()
        raw = await pool.acquire()
        return AsyncpgConn(raw), partial(pool.release, raw)

    async def sqlite_transaction(self) -> SqliteTransaction:
        """SQLite's writing connection, in a transaction begun now (``BEGIN IMMEDIATE``)."""
        assert self._engine is not None
        connection = await self._engine.connect()
        try:
            transaction = await connection.begin()
        except BaseException:
            await connection.close()
            raise
        return SqliteTransaction(connection, transaction)

    async def dispose(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()
            await self._reader.dispose()
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def _open_pool(self) -> asyncpg.Pool:
        async with self._pool_lock:
            if self._pool is None:
                url = make_url(self.url).set(drivername="postgresql")
                self._pool = await asyncpg.create_pool(
                    url.render_as_string(hide_password=False),
                    min_size=self.pool_size,
                    max_size=self.pool_size,
                    init=_init_postgres_connection,
                    reset=_keep_session,
                    **_connect_options(pooled=self.pooled),
                )
            return self._pool


class SqliteTransaction:
    """The writing connection and its open transaction; ending it gives the connection back."""

    __slots__ = ("_connection", "_transaction", "conn")

    def __init__(self, connection: AsyncConnection, transaction: AsyncTransaction) -> None:
        self._connection = connection
        self._transaction = transaction
        self.conn = SqlAlchemyConn(connection)

    async def end(self, *, commit: bool) -> None:
        try:
            if not commit:
                await self._transaction.rollback()
                return
            try:
                await self._transaction.commit()
            except BaseException:
                # A failed COMMIT (a deferred constraint) leaves SQLite inside the
                # transaction while SQLAlchemy counts it as ended: the connection must not
                # serve again.
                await self._connection.invalidate()
                raise
        finally:
            await self._connection.close()


def _connect_options(*, pooled: bool) -> dict[str, Any]:
    """Directly on PostgreSQL, asyncpg keeps each statement prepared on its connection and
    the session turns JIT off (our queries are short; JIT only adds compile time). Behind a
    pooler in transaction mode the next transaction may run on another server connection,
    where that statement does not exist, and PgBouncer refuses unknown startup settings:
    so no statement cache and no setting but the name, which PgBouncer passes on
    (operators set ``jit = off`` on the database instead; docs/scaling.md)."""
    if pooled:
        return {"statement_cache_size": 0, "server_settings": {"application_name": "mteja"}}
    return {"server_settings": {"jit": "off", "application_name": "mteja"}}


async def _init_postgres_connection(connection: asyncpg.Connection) -> None:
    for json_type in ("json", "jsonb"):
        await connection.set_type_codec(
            json_type, encoder=_dumps, decoder=orjson.loads, schema="pg_catalog"
        )


async def _keep_session(_connection: asyncpg.Connection) -> None:
    """Nothing to reset between requests: an open transaction is rolled back by asyncpg
    itself, and request code never changes session state (no SET, LISTEN, advisory locks
    or cursors). The default reset would cost a round trip on every request."""


def _sqlite_engine(url: str, pool_size: int, *, writer: bool, **options: Any) -> AsyncEngine:
    engine = create_async_engine(
        url,
        **options,
        connect_args={"timeout": 30},
        hide_parameters=True,  # no customer data in exception text or logs
        json_serializer=_dumps,
        json_deserializer=orjson.loads,
        pool_size=pool_size,
        max_overflow=0,
        pool_timeout=30,
    )
    event.listen(engine.sync_engine, "connect", _configure_sqlite_connection)
    if writer:
        event.listen(engine.sync_engine, "begin", _begin_sqlite_transaction)
    return engine


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
    conn.exec_driver_sql("BEGIN IMMEDIATE")
