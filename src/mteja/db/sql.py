"""Statements built once with SQLAlchemy Core, executed on the driver with little overhead.

Repositories describe every statement with SQLAlchemy Core and named bind parameters,
once per shape, and keep it in an ``Sql``. On PostgreSQL the statement is compiled once
and run straight on asyncpg (prepared and cached by asyncpg), which skips SQLAlchemy's
per-execution machinery — measured at about as much CPU as the query itself on the hot
paths. On SQLite it is compiled once too and runs on ``sqlite3`` (see ``db.sqlite``), with
SQLAlchemy's type processors (time zones, JSON), which the embedded database needs.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import asyncpg
from sqlalchemy import Select, Table
from sqlalchemy.dialects.postgresql.asyncpg import dialect as AsyncpgDialect
from sqlalchemy.sql import Executable

_POSTGRES = AsyncpgDialect()  # type: ignore[no-untyped-call]


class UniqueViolation(Exception):
    """A unique index refused a row; ``constraint`` names it (or its columns, on SQLite)."""

    def __init__(self, constraint: str) -> None:
        super().__init__(constraint)
        self.constraint = constraint


@dataclass(frozen=True, slots=True)
class Bound:
    """A statement with its parameters: described by one repository, run by another (a
    change that another domain writes together with its events)."""

    sql: Sql
    params: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Insertion:
    """Rows to insert into one table, ``account_id`` included: described by one repository,
    run by another after the change they depend on."""

    table: Table
    rows: Sequence[Mapping[str, Any]]


class Record(Protocol):
    """A result row read by column name: ``row["email"]``."""

    def __getitem__(self, key: str | int) -> Any: ...


class Sql:
    """One statement. ``complete``: it writes a change together with everything that must
    commit with it (its event), so it is atomic by itself and may run without BEGIN and
    COMMIT when it is a unit of work's only write (see ``db.uow``). ``cross_account``: a
    read of every account's rows on purpose (which accounts have work waiting), where every
    other statement filters on one ``account_id``; on Citus it runs on every shard, so it
    must stay a plain read (docs/decisions/0028)."""

    __slots__ = ("_postgres", "complete", "cross_account", "reads_only", "sqlite", "statement")

    def __init__(
        self, statement: Executable, *, complete: bool = False, cross_account: bool = False
    ) -> None:
        self.statement = statement
        self.complete = complete
        self.cross_account = cross_account
        # A plain SELECT (no FOR UPDATE): runs the same inside or outside a transaction.
        self.reads_only = (
            isinstance(statement, Select) and getattr(statement, "_for_update_arg", None) is None
        )
        self._postgres: _Compiled | None = None
        self.sqlite: Any = None  # compiled by db.sqlite on first use

    def postgres(self) -> _Compiled:
        if self._postgres is None:
            compiled = self.statement.compile(dialect=_POSTGRES)  # type: ignore[attr-defined]
            # Literals in the statement (``version + 1``) are bind parameters with a value.
            fixed = {name: bind.value for name, bind in compiled.binds.items() if not bind.required}
            self._postgres = _Compiled(str(compiled), tuple(compiled.positiontup or ()), fixed)
        return self._postgres


class _Compiled:
    __slots__ = ("fixed", "names", "text")

    def __init__(self, text: str, names: tuple[str, ...], fixed: dict[str, Any]) -> None:
        self.text = text
        self.names = names
        self.fixed = fixed

    def args(self, params: Mapping[str, Any]) -> list[Any]:
        if not self.fixed:
            return [params[name] for name in self.names]
        fixed = self.fixed
        return [params[name] if name in params else fixed[name] for name in self.names]


class Conn(ABC):
    """One connection, inside or outside a transaction; what repositories query through."""

    dialect: str

    @abstractmethod
    async def one(self, sql: Sql, params: Mapping[str, Any]) -> Record | None:
        """The first row, or None."""

    @abstractmethod
    async def all(self, sql: Sql, params: Mapping[str, Any]) -> Sequence[Record]:
        """Every row."""

    @abstractmethod
    async def execute(self, sql: Sql, params: Mapping[str, Any]) -> int:
        """Runs a statement; the number of rows it changed."""

    @abstractmethod
    async def execute_many(self, sql: Sql, rows: Sequence[Mapping[str, Any]]) -> None:
        """Runs a statement once per row of parameters, in one batch."""

    async def scalar(self, sql: Sql, params: Mapping[str, Any]) -> Any:
        row = await self.one(sql, params)
        return None if row is None else row[0]

    @property
    def is_postgres(self) -> bool:
        return self.dialect == "postgresql"


class AsyncpgConn(Conn):
    dialect = "postgresql"

    def __init__(self, connection: Any) -> None:
        self.raw = connection

    async def one(self, sql: Sql, params: Mapping[str, Any]) -> Record | None:
        compiled = sql.postgres()
        try:
            row: Record | None = await self.raw.fetchrow(compiled.text, *compiled.args(params))
        except asyncpg.UniqueViolationError as error:
            raise UniqueViolation(error.constraint_name or "") from None
        return row

    async def all(self, sql: Sql, params: Mapping[str, Any]) -> Sequence[Record]:
        compiled = sql.postgres()
        rows: Sequence[Record] = await self.raw.fetch(compiled.text, *compiled.args(params))
        return rows

    async def execute(self, sql: Sql, params: Mapping[str, Any]) -> int:
        compiled = sql.postgres()
        try:
            status: str = await self.raw.execute(compiled.text, *compiled.args(params))
        except asyncpg.UniqueViolationError as error:
            raise UniqueViolation(error.constraint_name or "") from None
        # asyncpg answers with the command tag, e.g. "UPDATE 3".
        last = status.rsplit(" ", 1)[-1]
        return int(last) if last.isdigit() else 0

    async def execute_many(self, sql: Sql, rows: Sequence[Mapping[str, Any]]) -> None:
        if rows:
            compiled = sql.postgres()
            await self.raw.executemany(compiled.text, [compiled.args(row) for row in rows])
