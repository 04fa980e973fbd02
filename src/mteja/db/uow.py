"""The unit of work: the database side of one request, CLI command or worker message.

Whoever handles the request opens one unit (the HTTP pipeline, a CLI command, the
webhook worker for each message), passes it to services as an argument, and commits it
(or rolls it back) when the outcome is known. Services never commit: they ask the unit for
a connection, ``read()`` or ``write()``, and repositories run statements on it.

- Reads before the first write run on one autocommit connection, outside a transaction:
  a single-statement read needs none, and BEGIN and COMMIT would double its round trips.
- ``write()`` starts the unit's transaction. Every statement after it, reads included,
  runs in that transaction until ``commit()`` or ``rollback()``. A unit may then start
  another (an idempotency claim commits before the request's effects run).
- PostgreSQL: BEGIN goes out with the transaction's first statement. When that statement
  is *complete* (``Sql.complete``: a change written with its event, atomic by itself),
  it runs without BEGIN and COMMIT, the fastest way to write on the driver, and the unit
  takes no further write: it would not be atomic with the first, so it is refused as a
  programming error (plain reads still run). ``begin()`` rules this out for a
  caller that adds writes of its own after the service's (the idempotency record).
- SQLite: the process's one writing connection, ``BEGIN IMMEDIATE``, held from
  ``write()`` to the end of the transaction and no longer. Statements run on the event
  loop, or on a thread when they could keep it waiting (see ``db.sqlite``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any

from sqlalchemy import text

from mteja.db.engine import Database, Release
from mteja.db.sql import AsyncpgConn, Conn, Record, Sql
from mteja.db.sqlite import SqliteWriter, SqliteWrites

_PLAN_AFRESH = Sql(text("SET LOCAL plan_cache_mode = force_custom_plan"))


class UnitOfWork:
    __slots__ = ("_after_commit", "_reader", "_release", "_sqlite", "_writer", "db")

    def __init__(self, db: Database) -> None:
        self.db = db
        self._reader: Conn | None = None
        self._release: Release | None = None
        self._writer: _PostgresWrites | SqliteWrites | None = None
        self._sqlite: SqliteWriter | None = None
        self._after_commit: list[Callable[[], None]] = []

    @property
    def dialect(self) -> str:
        return self.db.dialect

    async def read(self) -> Conn:
        """A connection to read on: the unit's transaction when one is open."""
        if self._writer is not None:
            return self._writer
        if self._reader is None:
            self._reader, self._release = await self.db.connection()
        return self._reader

    async def write(self) -> Conn:
        """The unit's transaction, started now if none is open."""
        if self._writer is None:
            self._writer = await self._start(lone_statement=True)
        return self._writer

    async def write_many(self) -> Conn:
        """The unit's transaction, for a change of many rows at once (a batch).

        On PostgreSQL its statements, and the foreign-key checks they fire, are planned
        afresh for the tables as they are now. A connection otherwise keeps the plan it
        made when a table was small: a reference check planned as a scan of a few
        hundred customers went on scanning them all as an import grew the table, until
        autovacuum's next ANALYZE (never, where it is off), and each batch read every
        customer of the account once per address."""
        conn = await self.write()
        if conn.is_postgres:
            await conn.execute(_PLAN_AFRESH, {})
        return conn

    async def begin(self) -> Conn:
        """The unit's transaction, which will hold every write until ``commit()``, even a
        lone complete statement."""
        if self._writer is None:
            self._writer = await self._start(lone_statement=False)
        elif isinstance(self._writer, _PostgresWrites):
            self._writer.hold()
        return self._writer

    @property
    def in_transaction(self) -> bool:
        return self._writer is not None

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Runs ``callback`` once the current transaction has committed; never if it rolls
        back. For what must not be seen before the change is (a revoked key's eviction)."""
        self._after_commit.append(callback)

    async def commit(self) -> None:
        if self._writer is None:
            return
        await self._end(commit=True)
        if self._after_commit:
            callbacks, self._after_commit = self._after_commit, []
            for callback in callbacks:
                callback()

    async def rollback(self) -> None:
        self._after_commit.clear()
        if self._writer is not None:
            await self._end(commit=False)

    async def close(self) -> None:
        """Rolls back what was not committed and gives the connections back. The unit stays
        usable: a later statement takes a connection again (a streamed response's reads)."""
        try:
            await self.rollback()
        finally:
            if self._release is not None:
                release, self._release, self._reader = self._release, None, None
                await release()

    async def __aenter__(self) -> UnitOfWork:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """For CLI commands and workers: commits when the block ends cleanly."""
        try:
            if exc_type is None:
                await self.commit()
        finally:
            await self.close()

    async def _start(self, *, lone_statement: bool) -> _PostgresWrites | SqliteWrites:
        if self.db.is_sqlite:
            self._sqlite = await self.db.sqlite_transaction()
            return self._sqlite.conn
        connection = await self.read()
        assert isinstance(connection, AsyncpgConn)
        return _PostgresWrites(connection, lone_statement=lone_statement)

    async def _end(self, *, commit: bool) -> None:
        writer, self._writer = self._writer, None
        if isinstance(writer, _PostgresWrites):
            await writer.end(commit=commit)
        sqlite, self._sqlite = self._sqlite, None
        if sqlite is not None:
            await sqlite.end(commit=commit)


class _PostgresWrites(Conn):
    """The unit's connection once it writes: BEGIN with the first statement, unless that
    statement is complete and may run alone."""

    dialect = "postgresql"
    __slots__ = ("_conn", "_lone_statement", "_spent", "_transaction")

    def __init__(self, conn: AsyncpgConn, *, lone_statement: bool) -> None:
        self._conn = conn
        self._lone_statement = lone_statement
        self._transaction: Any = None
        self._spent = False

    def hold(self) -> None:
        if self._spent:
            raise RuntimeError("a complete statement already ran alone in this unit of work")
        self._lone_statement = False

    async def _ready(self, sql: Sql) -> None:
        if self._transaction is not None:
            return
        if self._spent:
            if sql.reads_only:
                return  # a read after the write (the row a conflict left in place)
            raise RuntimeError(
                "this unit of work ran a complete statement alone: a further statement "
                "would not be atomic with it"
            )
        if sql.complete and self._lone_statement:
            self._spent = True
            return
        self._transaction = self._conn.raw.transaction()
        await self._transaction.start()

    async def end(self, *, commit: bool) -> None:
        transaction, self._transaction = self._transaction, None
        if transaction is None:
            return
        if commit:
            await transaction.commit()
        else:
            await transaction.rollback()

    async def one(self, sql: Sql, params: Mapping[str, Any]) -> Record | None:
        await self._ready(sql)
        return await self._conn.one(sql, params)

    async def all(self, sql: Sql, params: Mapping[str, Any]) -> Sequence[Record]:
        await self._ready(sql)
        return await self._conn.all(sql, params)

    async def execute(self, sql: Sql, params: Mapping[str, Any]) -> int:
        await self._ready(sql)
        return await self._conn.execute(sql, params)

    async def execute_many(self, sql: Sql, rows: Sequence[Mapping[str, Any]]) -> None:
        await self._ready(sql)
        await self._conn.execute_many(sql, rows)
