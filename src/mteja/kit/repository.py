"""Repository bases: every account-scoped repository, and tables of rows owned by a parent.

Tenant scoping lives here. A ``ScopedRepository`` is built with the account of the caller
and every statement it runs filters on it; inserts take ``account_id`` from it, never
from input. Repositories are the only code that runs statements.

Owned rows (a customer's addresses, businesses, payment methods) share a shape:
``(account_id, id)`` key, the parent's id, ``status``, ``version`` and timestamps. Every
statement is scoped to the account and the parent, so an id of another parent, or of
another account, is simply not found.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    ForeignKeyConstraint,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    bindparam,
    delete,
    insert,
    select,
    update,
)

from mteja.core.paging import Window
from mteja.db.keyset import (
    KeysetShape,
    keyset_page,
    keyset_params,
    keyset_shape,
    one_of,
)
from mteja.db.rows import columns_params, insert_rows, insert_unnested, rows_params
from mteja.db.sql import Conn, Insertion, Record, Sql
from mteja.db.types import JSONDocument, UTCDateTime, metadata


class ScopedRepository:
    """A repository of one account's rows: every statement filters on ``account_id``, which
    comes from here (the authenticated caller), never from input."""

    def __init__(self, conn: Conn, account_id: str) -> None:
        self.conn = conn
        self.account_id = account_id

    def row_params(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """The bind values (``v_<column>``) of a row to insert into this account."""
        params = {f"v_{name}": value for name, value in values.items()}
        params["v_account_id"] = self.account_id
        return params


class OwnedStatements:
    """Built once per table at import; list and update shapes on first use. The parent's
    id is bound as ``parent_id``."""

    def __init__(
        self, table: Table, *, parent: str, key_column: Column[Any], key_prefix: str
    ) -> None:
        self.table = table
        self.key_column = key_column
        self.key_prefix = key_prefix
        self._owned = (table.c.account_id == bindparam("account_id")) & (
            table.c[parent] == bindparam("parent_id")
        )
        by_id = self._owned & (table.c.id == bindparam("id"))
        self.get = Sql(select(table).where(by_id))
        self.of_parent = Sql(select(table).where(self._owned).order_by(key_column))
        self.get_for_update = Sql(select(table).where(by_id).with_for_update())
        self.delete = Sql(delete(table).where(by_id))
        values: dict[str, Any] = {c.name: bindparam(f"v_{c.name}") for c in table.c}
        self.insert = Sql(insert(table).values(values).returning(table))
        self._updates: dict[tuple[str, ...], Sql] = {}
        self._lists: dict[tuple[KeysetShape, int], Sql] = {}

    @cached_property
    def _update_target(self) -> ColumnElement[bool]:
        # In an UPDATE, a bind parameter named like a column would be taken for its value.
        table = self.table
        return (table.c.account_id == bindparam("where_account_id")) & (
            table.c.id == bindparam("where_id")
        )

    def update(self, columns: tuple[str, ...]) -> Sql:
        sql = self._updates.get(columns)
        if sql is None:
            values: dict[str, Any] = {name: bindparam(f"v_{name}") for name in columns}
            statement = (
                update(self.table).where(self._update_target).values(values).returning(self.table)
            )
            sql = self._updates[columns] = Sql(statement)
        return sql

    def list(self, shape: KeysetShape, statuses: int) -> Sql:
        sql = self._lists.get((shape, statuses))
        if sql is None:
            conditions: list[ColumnElement[bool]] = [self._owned]
            if statuses:
                conditions.append(one_of(self.table.c.status, "status", statuses))
            sql = keyset_page(select(self.table), self.key_column, shape, *conditions)
            self._lists[(shape, statuses)] = sql
        return sql


class OwnedRepository(ScopedRepository):
    statements: OwnedStatements

    def insertion(self, values: Mapping[str, Any]) -> Insertion:
        """The row, for a writer that inserts it with a change it depends on."""
        return Insertion(self.statements.table, [{**values, "account_id": self.account_id}])

    async def insert(self, values: dict[str, Any]) -> Record:
        params = self.row_params(values)
        row = await self.conn.one(self.statements.insert, params)
        assert row is not None, "INSERT … RETURNING returns the row"
        return row

    async def insert_many(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Inserts rows of one shape in one statement (a batch's first addresses)."""
        if not rows:
            return
        table = self.statements.table
        columns = ("account_id", *(name for name in rows[0] if name != "account_id"))
        if self.conn.is_postgres:
            params = columns_params(self.account_id, columns, rows)
            await self.conn.execute(insert_unnested(table, columns), params)
            return
        stored = [{**row, "account_id": self.account_id} for row in rows]
        await self.conn.execute(insert_rows(table, columns, len(stored)), rows_params(stored))

    async def get(
        self, parent_id: str, child_id: str, *, for_update: bool = False
    ) -> Record | None:
        statements = self.statements
        sql = statements.get_for_update if for_update and self.conn.is_postgres else statements.get
        params = {"account_id": self.account_id, "parent_id": parent_id, "id": child_id}
        return await self.conn.one(sql, params)

    async def of_parent(self, parent_id: str) -> Sequence[Record]:
        """Every row of the parent, whatever its status, oldest first."""
        params = {"account_id": self.account_id, "parent_id": parent_id}
        return await self.conn.all(self.statements.of_parent, params)

    async def update(self, child_id: str, values: dict[str, Any]) -> Record:
        columns = tuple(sorted(values))
        params = {f"v_{name}": values[name] for name in columns}
        params.update(where_account_id=self.account_id, where_id=child_id)
        row = await self.conn.one(self.statements.update(columns), params)
        assert row is not None, "the caller holds the customer locked"
        return row

    async def delete(self, parent_id: str, child_id: str) -> bool:
        params = {"account_id": self.account_id, "parent_id": parent_id, "id": child_id}
        return await self.conn.execute(self.statements.delete, params) > 0

    async def list(
        self, parent_id: str, statuses: tuple[str, ...], window: Window
    ) -> Sequence[Record]:
        params = keyset_params(window, self.statements.key_prefix)
        params.update(account_id=self.account_id, parent_id=parent_id)
        for index, status in enumerate(statuses):
            params[f"status_{index}"] = status
        sql = self.statements.list(keyset_shape(window), len(statuses))
        return await self.conn.all(sql, params)


def owned_table(name: str, *columns: Any, parent: tuple[str, str], id_length: int = 30) -> Table:
    """A table of rows that belong to a parent row: the shared key, ownership, status,
    version and timestamps around ``columns`` (the resource's own columns, checks and
    indexes). ``parent``: the owning column and the parent's table. Every key starts with
    ``account_id``; the parent's deletion cascades."""
    parent_column, parent_table = parent
    return Table(
        name,
        metadata,
        Column("account_id", String(31), nullable=False),
        Column("id", String(id_length), nullable=False),
        Column(parent_column, String(30), nullable=False),
        *columns,
        Column("status", String(16), nullable=False),
        Column("custom_data", JSONDocument, nullable=True),
        Column("version", Integer, nullable=False),
        Column("created_at", UTCDateTime(), nullable=False),
        Column("updated_at", UTCDateTime(), nullable=False),
        PrimaryKeyConstraint("account_id", "id"),
        ForeignKeyConstraint(
            ["account_id", parent_column],
            [f"{parent_table}.account_id", f"{parent_table}.id"],
            ondelete="CASCADE",
        ),
    )
