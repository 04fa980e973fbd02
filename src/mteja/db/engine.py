"""The database handle: where connections come from. Units of work (``db.uow``) use them.

PostgreSQL goes through an asyncpg pool; SQLite through ``sqlite3`` (see ``db.sqlite``):
one writing connection, and readers on the event loop with a few threads for long reads.
Nothing outside ``db`` sees a driver connection.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import asyncpg
import orjson
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from mteja.db.sql import AsyncpgConn, Conn
from mteja.db.sqlite import SqliteError, SqliteReads, SqliteWriter, database_path

Release = Callable[[], Awaitable[Any]]

# What a database that is away, locked or not migrated raises: for the loops that log
# it and try again, and for the readiness check. (Migrations run through SQLAlchemy.)
DATABASE_ERRORS = (OSError, asyncpg.PostgresError, SQLAlchemyError, SqliteError)

# Threads for SQLite's long reads (searches, exports). Readers in WAL mode run in
# parallel, but each holds a page cache: a few suffice.
_SQLITE_READERS = 4


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


async def _nothing_to_release() -> None:
    """SQLite's readers belong to the process, not to a unit of work."""


class Database:
    """A single-statement read needs no transaction, so readers run in autocommit and save
    the BEGIN and COMMIT round trips. Writes on SQLite begin with ``BEGIN IMMEDIATE`` so
    that a read-then-write transaction takes the write lock up front instead of failing
    with SQLITE_BUSY halfway.
    """

    def __init__(self, url: str, *, pool_size: int = 10, pooled: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        # Behind a pooler in transaction mode (PgBouncer): see _connect_options.
        self.pooled = pooled and not self.is_sqlite
        self.dialect = "sqlite" if self.is_sqlite else "postgresql"
        self.pool_size = pool_size
        self._pool: asyncpg.Pool | None = None
        self._pool_lock = asyncio.Lock()
        # Opened on first use: the file may not exist (or be migrated) before then.
        self._sqlite_reads: SqliteReads | None = None
        self._sqlite_writer: SqliteWriter | None = None

    async def connection(self) -> tuple[Conn, Release]:
        """A connection outside any transaction (autocommit), and how to give it back:
        PostgreSQL's pool, or SQLite's readers."""
        if self.is_sqlite:
            return self._reads(), _nothing_to_release
        pool = self._pool or await self._open_pool()
        raw = await pool.acquire()
        return AsyncpgConn(raw), partial(pool.release, raw)

    async def sqlite_transaction(self) -> SqliteWriter:
        """SQLite's writing connection, in a transaction begun now (``BEGIN IMMEDIATE``);
        ``end()`` on the writer ends it."""
        if self._sqlite_writer is None:
            self._sqlite_writer = SqliteWriter(database_path(self.url))
        await self._sqlite_writer.begin()
        return self._sqlite_writer

    def sqlite_data_version(self) -> int | None:
        """SQLite's ``PRAGMA data_version`` on the loop's reader: it changes whenever
        another connection, in any process, commits (None: unknown just now)."""
        return self._reads().data_version()

    async def dispose(self) -> None:
        reads, self._sqlite_reads = self._sqlite_reads, None
        if reads is not None:
            await asyncio.get_running_loop().run_in_executor(None, reads.close)
        writer, self._sqlite_writer = self._sqlite_writer, None
        if writer is not None:
            writer.close()
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    def _reads(self) -> SqliteReads:
        if self._sqlite_reads is None:
            self._sqlite_reads = SqliteReads(
                database_path(self.url), threads=min(self.pool_size, _SQLITE_READERS)
            )
        return self._sqlite_reads

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
