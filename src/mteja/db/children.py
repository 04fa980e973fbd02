"""Statements and a repository base for tables of rows that belong to a customer.

Addresses, businesses and payment methods share a shape: ``(account_id, id)`` key,
``customer_id``, ``status``, ``version`` and timestamps. Every statement is scoped to the
account and the customer, so an id of another customer, or of another account, is simply
not found.
"""

from __future__ import annotations

from collections.abc import Sequence
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
from mteja.db.sql import Record, ScopedRepository, Sql
from mteja.db.types import JSONDocument, UTCDateTime, metadata


class ChildStatements:
    """Built once per table at import; list and update shapes on first use."""

    def __init__(self, table: Table, *, key_column: Column[Any], key_prefix: str) -> None:
        self.table = table
        self.key_column = key_column
        self.key_prefix = key_prefix
        self._owned = (table.c.account_id == bindparam("account_id")) & (
            table.c.customer_id == bindparam("customer_id")
        )
        by_id = self._owned & (table.c.id == bindparam("id"))
        self.get = Sql(select(table).where(by_id))
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


class ChildRepository(ScopedRepository):
    statements: ChildStatements

    async def insert(self, values: dict[str, Any]) -> Record:
        params = self.row_params(values)
        row = await self.conn.one(self.statements.insert, params)
        assert row is not None, "INSERT … RETURNING returns the row"
        return row

    async def get(
        self, customer_id: str, child_id: str, *, for_update: bool = False
    ) -> Record | None:
        statements = self.statements
        sql = statements.get_for_update if for_update and self.conn.is_postgres else statements.get
        params = {"account_id": self.account_id, "customer_id": customer_id, "id": child_id}
        return await self.conn.one(sql, params)

    async def update(self, child_id: str, values: dict[str, Any]) -> Record:
        columns = tuple(sorted(values))
        params = {f"v_{name}": values[name] for name in columns}
        params.update(where_account_id=self.account_id, where_id=child_id)
        row = await self.conn.one(self.statements.update(columns), params)
        assert row is not None, "the caller holds the customer locked"
        return row

    async def delete(self, customer_id: str, child_id: str) -> bool:
        params = {"account_id": self.account_id, "customer_id": customer_id, "id": child_id}
        return await self.conn.execute(self.statements.delete, params) > 0

    async def list(
        self, customer_id: str, statuses: tuple[str, ...], window: Window
    ) -> Sequence[Record]:
        params = keyset_params(window, self.statements.key_prefix)
        params.update(account_id=self.account_id, customer_id=customer_id)
        for index, status in enumerate(statuses):
            params[f"status_{index}"] = status
        sql = self.statements.list(keyset_shape(window), len(statuses))
        return await self.conn.all(sql, params)


def child_table(name: str, *columns: Any, id_length: int = 30) -> Table:
    """A table of rows that belong to a customer: the shared key, ownership, status,
    version and timestamps around ``columns`` (the resource's own columns, checks and
    indexes). Every key starts with ``account_id``; a customer's deletion cascades."""
    return Table(
        name,
        metadata,
        Column("account_id", String(31), nullable=False),
        Column("id", String(id_length), nullable=False),
        Column("customer_id", String(30), nullable=False),
        *columns,
        Column("status", String(16), nullable=False),
        Column("custom_data", JSONDocument, nullable=True),
        Column("version", Integer, nullable=False),
        Column("created_at", UTCDateTime(), nullable=False),
        Column("updated_at", UTCDateTime(), nullable=False),
        PrimaryKeyConstraint("account_id", "id"),
        ForeignKeyConstraint(
            ["account_id", "customer_id"],
            ["customers.account_id", "customers.id"],
            ondelete="CASCADE",
        ),
    )
