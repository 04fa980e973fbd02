"""SQLite through the standard library's ``sqlite3``, mostly on the event loop itself.

A short statement on a local file takes microseconds; handing it to a thread and back
(what aiosqlite and SQLAlchemy's async layer do, several times per statement) costs more
than the statement. So statements run on the loop, and only what could keep it waiting
goes to a thread:

- Reads outside a transaction run on one loop-owned connection with a budget of virtual
  machine steps (a progress handler). A read over the budget (a search scanning the
  table) is interrupted, which costs nothing but the steps taken, and runs again on a
  connection of a small thread pool. So does a read that meets SQLITE_BUSY (another
  process recovering the WAL): the pool's connections wait on ``busy_timeout``.
- Writes take the process's one writing connection (an ``asyncio.Lock`` queues this
  process's units of work in order) and ``BEGIN IMMEDIATE`` without waiting; while
  another process holds the write lock, the attempt is repeated after a short sleep on
  the loop, up to the busy timeout. Once the lock is held, nothing in WAL mode makes a
  statement wait, so the transaction's statements run on the loop.

Statements are SQLAlchemy Core, compiled once per ``Sql`` for SQLite; their bind and
result processors (aware UTC datetimes, JSON) are SQLAlchemy's own, so values read and
written are the same as through SQLAlchemy. ``PRAGMA data_version`` on the loop's reader
tells whether any other connection, in this process or another, committed since it was
last asked: the authenticator trusts its key cache only while it has not changed.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import JSON
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import make_url

from mteja.db.sql import Conn, Record, Sql, UniqueViolation
from mteja.db.types import UTCDateTime

_DIALECT = sqlite_dialect.dialect(
    json_serializer=lambda value: orjson.dumps(value).decode(),
    json_deserializer=orjson.loads,
)
BUSY_TIMEOUT_SECONDS = 30.0
# About a millisecond of work on this class of machine: an indexed lookup or a page of 20
# rows takes a few thousand steps, a scan of a large table millions.
_INLINE_STEP_BUDGET = 100_000
_PROGRESS_EVERY = 1_000
_PREPARED_STATEMENTS = 512


class SqliteError(Exception):
    """A database error other than a unique violation (kept out of callers' imports of
    ``sqlite3``)."""


class _Compiled:
    """One statement compiled for SQLite: its text, parameter order and processors."""

    __slots__ = ("bind", "convert", "defaults", "keys", "names", "text")

    def __init__(self, sql: Sql) -> None:
        compiled = sql.statement.compile(dialect=_DIALECT)  # type: ignore[attr-defined]
        self.text = str(compiled)
        self.names: tuple[str, ...] = tuple(compiled.positiontup or ())
        self.defaults = {
            name: bind.value for name, bind in compiled.binds.items() if not bind.required
        }
        processors = compiled._bind_processors
        self.bind = tuple(processors.get(name) for name in self.names)
        columns = compiled._result_columns
        self.keys: dict[str | int, int] | None = None
        # (position, processor) of the columns whose stored value needs converting.
        self.convert: tuple[tuple[int, Callable[[Any], Any]], ...] = ()
        if columns:
            self.keys = _index(entry.keyname for entry in columns)
            processors = (_result_processor(entry.type) for entry in columns)
            self.convert = tuple(
                (position, process)
                for position, process in enumerate(processors)
                if process is not None
            )

    def args(self, params: Mapping[str, Any]) -> list[Any]:
        defaults = self.defaults
        values = []
        for name, process in zip(self.names, self.bind, strict=True):
            value = params[name] if name in params else defaults[name]
            values.append(value if process is None else process(value))
        return values

    def rows(self, cursor: sqlite3.Cursor, raw: list[tuple[Any, ...]]) -> list[Record]:
        keys = self.keys
        if keys is None:  # a textual statement: its column names, values as stored
            keys = _index(column[0] for column in cursor.description or ())
            return [_Row(row, keys) for row in raw]
        convert = self.convert
        if not convert:
            return [_Row(row, keys) for row in raw]
        records: list[Record] = []
        for row in raw:
            values = list(row)
            for position, process in convert:
                value = values[position]
                if value is not None:  # NULL is None whatever the type
                    values[position] = process(value)
            records.append(_Row(values, keys))
        return records


_SQLALCHEMY_UTC_DATETIME: Any = UTCDateTime()._cached_result_processor(_DIALECT, None)
# The text SQLAlchemy's SQLite DATETIME writes, "2026-12-05 01:02:03.456789" (naive UTC, see
# db.types.UTCDateTime), and SQLite's own CURRENT_TIMESTAMP, "2026-12-05 01:02:03".
_PLAIN_DATETIME_LENGTHS = frozenset((26, 19))


def _utc_datetime(value: str) -> Any:
    if len(value) in _PLAIN_DATETIME_LENGTHS:
        # ISO 8601, which the standard library parses in C, zone included.
        return datetime.fromisoformat(value + "+00:00")
    # Anything else (text with an offset, from an expression) as SQLAlchemy reads it.
    return _SQLALCHEMY_UTC_DATETIME(value)


def _result_processor(type_: Any) -> Callable[[Any], Any] | None:
    """SQLAlchemy's processor for a column read from SQLite, or the same conversion done
    directly for the two types on every hot row (it was a fifth of a list request)."""
    if isinstance(type_, UTCDateTime):
        return _utc_datetime
    if isinstance(type_, JSON) and isinstance(type_.dialect_impl(_DIALECT), JSON):
        return orjson.loads
    process: Callable[[Any], Any] | None = type_._cached_result_processor(_DIALECT, None)
    return process


def _index(names: Any) -> dict[str | int, int]:
    keys: dict[str | int, int] = {}
    for position, name in enumerate(names):
        keys[name] = position
        keys[position] = position
    return keys


class _Row:
    """A result row read like an asyncpg record: by column name or by position."""

    __slots__ = ("_keys", "_values")

    def __init__(self, values: Sequence[Any], keys: dict[str | int, int]) -> None:
        self._values = values
        self._keys = keys

    def __getitem__(self, key: str | int) -> Any:
        return self._values[self._keys[key]]


def _compiled(sql: Sql) -> _Compiled:
    compiled: _Compiled | None = sql.sqlite
    if compiled is None:
        compiled = sql.sqlite = _Compiled(sql)
    return compiled


def _run(connection: sqlite3.Connection, compiled: _Compiled, args: Sequence[Any]) -> Any:
    """Runs one statement to its end: its cursor and rows."""
    try:
        cursor = connection.execute(compiled.text, args)
        return cursor, cursor.fetchall()
    except sqlite3.IntegrityError as error:
        message = str(error)
        if message.startswith("UNIQUE constraint failed"):
            raise UniqueViolation(message) from None
        raise SqliteError(message) from None


def connect(path: str, *, busy_timeout: float) -> sqlite3.Connection:
    # Autocommit (isolation_level None): the driver never begins a transaction by itself;
    # the unit of work says when. check_same_thread off: the pool's connections are made
    # on the loop's thread for the executor's; each is only ever used by one at a time.
    connection = sqlite3.connect(
        path,
        timeout=BUSY_TIMEOUT_SECONDS,
        isolation_level=None,
        check_same_thread=False,
        # Every statement the app runs stays prepared (the driver's default keeps 128).
        cached_statements=_PREPARED_STATEMENTS,
    )
    # WAL is a property of the file, kept once set; setting it again takes a lock that
    # another process's write would make this wait for.
    if connection.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA foreign_keys=ON")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
    return connection


def database_path(url: str) -> str:
    return make_url(url).database or ":memory:"


class _Budget:
    """The progress handler of the loop's reader: interrupts a read over its budget."""

    __slots__ = ("steps",)

    def __init__(self) -> None:
        self.steps = 0

    def __call__(self) -> int:
        self.steps += _PROGRESS_EVERY
        return 1 if self.steps > _INLINE_STEP_BUDGET else 0


class SqliteReads(Conn):
    """Reads outside any transaction: on the loop when short, else on the thread pool."""

    dialect = "sqlite"
    __slots__ = ("_budget", "_connection", "_executor", "_local", "_path", "_pool")

    def __init__(self, path: str, *, threads: int) -> None:
        self._path = path
        # No waiting on the loop: a busy database sends the read to the pool, which waits.
        self._connection = connect(path, busy_timeout=0)
        self._budget = _Budget()
        self._connection.set_progress_handler(self._budget, _PROGRESS_EVERY)
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix="mteja-sqlite")
        self._local = threading.local()
        self._pool: list[sqlite3.Connection] = []

    def data_version(self) -> int | None:
        """Changes whenever another connection (any process) commits to the file; None
        when the file is busy (WAL recovery) and the answer unknown."""
        self._budget.steps = 0
        try:
            return int(self._connection.execute("PRAGMA data_version").fetchone()[0])
        except sqlite3.OperationalError:
            return None

    async def one(self, sql: Sql, params: Mapping[str, Any]) -> Record | None:
        rows = await self._read(sql, params)
        return rows[0] if rows else None

    async def all(self, sql: Sql, params: Mapping[str, Any]) -> Sequence[Record]:
        return await self._read(sql, params)

    async def execute(self, sql: Sql, params: Mapping[str, Any]) -> int:
        raise RuntimeError("a write outside a transaction: call UnitOfWork.write() first")

    async def execute_many(self, sql: Sql, rows: Sequence[Mapping[str, Any]]) -> None:
        raise RuntimeError("a write outside a transaction: call UnitOfWork.write() first")

    async def _read(self, sql: Sql, params: Mapping[str, Any]) -> list[Record]:
        compiled = _compiled(sql)
        args = compiled.args(params)
        self._budget.steps = 0
        try:
            cursor, raw = _run(self._connection, compiled, args)
        except sqlite3.OperationalError as error:
            if not _retry_elsewhere(error):
                raise SqliteError(str(error)) from None
            loop = asyncio.get_running_loop()
            cursor, raw = await loop.run_in_executor(
                self._executor, self._run_pooled, compiled, args
            )
        return compiled.rows(cursor, raw)

    def _run_pooled(self, compiled: _Compiled, args: Sequence[Any]) -> Any:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = connect(
                self._path, busy_timeout=BUSY_TIMEOUT_SECONDS
            )
            self._pool.append(connection)
        try:
            return _run(connection, compiled, args)
        except sqlite3.OperationalError as error:
            raise SqliteError(str(error)) from None

    def close(self) -> None:
        self._executor.shutdown(wait=True)
        for connection in (self._connection, *self._pool):
            connection.close()
        self._pool.clear()


def _retry_elsewhere(error: sqlite3.OperationalError) -> bool:
    message = str(error)
    return message == "interrupted" or message.startswith("database is locked")


class SqliteWrites(Conn):
    """The process's writing connection inside its transaction; every statement, reads
    included, runs on the loop (see the module's docstring)."""

    dialect = "sqlite"
    __slots__ = ("_connection",)

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    async def one(self, sql: Sql, params: Mapping[str, Any]) -> Record | None:
        rows = self._statement(sql, params)
        return rows[0] if rows else None

    async def all(self, sql: Sql, params: Mapping[str, Any]) -> Sequence[Record]:
        return self._statement(sql, params)

    async def execute(self, sql: Sql, params: Mapping[str, Any]) -> int:
        compiled = _compiled(sql)
        cursor, _ = self._guarded(compiled, compiled.args(params))
        return max(int(cursor.rowcount), 0)

    async def execute_many(self, sql: Sql, rows: Sequence[Mapping[str, Any]]) -> None:
        if not rows:
            return
        compiled = _compiled(sql)
        try:
            self._connection.executemany(compiled.text, [compiled.args(row) for row in rows])
        except sqlite3.IntegrityError as error:
            message = str(error)
            if message.startswith("UNIQUE constraint failed"):
                raise UniqueViolation(message) from None
            raise SqliteError(message) from None
        except sqlite3.OperationalError as error:
            raise SqliteError(str(error)) from None

    def _statement(self, sql: Sql, params: Mapping[str, Any]) -> list[Record]:
        compiled = _compiled(sql)
        cursor, raw = self._guarded(compiled, compiled.args(params))
        return compiled.rows(cursor, raw)

    def _guarded(self, compiled: _Compiled, args: Sequence[Any]) -> Any:
        try:
            return _run(self._connection, compiled, args)
        except sqlite3.OperationalError as error:
            raise SqliteError(str(error)) from None


class SqliteWriter:
    """The one writing connection of this process, lent to one transaction at a time."""

    def __init__(self, path: str) -> None:
        # The lock is asked for without waiting (see ``begin``).
        self._connection = connect(path, busy_timeout=0)
        self._lock = asyncio.Lock()
        self.conn = SqliteWrites(self._connection)

    async def begin(self) -> SqliteWrites:
        """``BEGIN IMMEDIATE``: the write lock up front, so that a read-then-write
        transaction never fails with SQLITE_BUSY halfway."""
        await self._lock.acquire()
        try:
            await self._begin_immediate()
        except BaseException:
            self._lock.release()
            raise
        return self.conn

    async def end(self, *, commit: bool) -> None:
        try:
            self._connection.execute("COMMIT" if commit else "ROLLBACK")
        except sqlite3.Error as error:
            # A failed COMMIT (a deferred constraint) leaves the transaction open: end it
            # so that the connection serves the next one cleanly.
            if self._connection.in_transaction:
                self._connection.execute("ROLLBACK")
            raise SqliteError(str(error)) from None
        finally:
            self._lock.release()

    async def _begin_immediate(self) -> None:
        deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
        pause = 0.0005
        while True:
            try:
                self._connection.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if not str(error).startswith("database is locked"):
                    raise SqliteError(str(error)) from None
                if time.monotonic() + pause > deadline:
                    raise SqliteError("database is locked") from None
            # Another process writes: its transactions are short, so look again soon.
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.02)

    def close(self) -> None:
        self._connection.close()
