"""Customer queries, always scoped to one account."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, delete, func, literal, select, type_coerce, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from mteja.core.paging import Window
from mteja.customers.tables import customers
from mteja.db.types import DbRow

_COLUMNS = (
    customers.c.id,
    customers.c.name,
    customers.c.email,
    customers.c.phone,
    customers.c.address,
    customers.c.payment_method_id,
    customers.c.status,
    customers.c.custom_data,
    customers.c.version,
    customers.c.created_at,
    customers.c.updated_at,
)


class EmailTaken(Exception):
    """The account already has a customer with this email (by the unique index)."""


@dataclass(frozen=True, slots=True)
class CustomerFilters:
    statuses: tuple[str, ...] = ()
    email_key: str | None = None
    search: str | None = None
    custom_data: tuple[tuple[str, str], ...] = field(default_factory=tuple)


class CustomerRepository:
    def __init__(self, conn: AsyncConnection, account_id: str) -> None:
        self.conn = conn
        self.account_id = account_id
        self._postgres = conn.dialect.name == "postgresql"

    def _select(self) -> Select[Any]:
        return select(*_COLUMNS).where(customers.c.account_id == self.account_id)

    async def get(self, customer_id: str, *, for_update: bool = False) -> DbRow | None:
        statement = self._select().where(customers.c.id == customer_id)
        if for_update and self._postgres:
            statement = statement.with_for_update()
        row: DbRow | None = (await self.conn.execute(statement)).first()
        return row

    async def insert(self, values: dict[str, Any]) -> DbRow | None:
        """The new row, or None when the email is taken (decided by the unique index)."""
        dialect_insert = postgresql.insert if self._postgres else sqlite.insert
        statement = (
            dialect_insert(customers)
            .values(account_id=self.account_id, **values)
            .on_conflict_do_nothing(index_elements=["account_id", "email_key"])
            .returning(*_COLUMNS)
        )
        return (await self.conn.execute(statement)).first()

    async def id_by_email_key(self, email_key: str) -> str | None:
        statement = select(customers.c.id).where(
            customers.c.account_id == self.account_id, customers.c.email_key == email_key
        )
        return await self.conn.scalar(statement)

    async def update(self, customer_id: str, values: dict[str, Any]) -> DbRow:
        statement = (
            update(customers)
            .where(customers.c.account_id == self.account_id, customers.c.id == customer_id)
            .values(**values)
            .returning(*_COLUMNS)
        )
        try:
            result = await self.conn.execute(statement)
        except IntegrityError as error:
            if "email_key" in str(error.orig) or "uq_customers" in str(error.orig):
                raise EmailTaken() from None
            raise
        return result.one()

    async def delete(self, customer_id: str) -> bool:
        result = await self.conn.execute(
            delete(customers).where(
                customers.c.account_id == self.account_id, customers.c.id == customer_id
            )
        )
        return result.rowcount > 0

    async def list(self, filters: CustomerFilters, window: Window) -> list[DbRow]:
        statement = self._select()
        id_column = customers.c.id
        if window.min_id is not None:
            statement = statement.where(id_column >= window.min_id)
        if window.below_id is not None:
            statement = statement.where(id_column < window.below_id)
        if window.after_id is not None:
            statement = statement.where(
                id_column > window.after_id
                if window.order == "asc"
                else id_column < window.after_id
            )
        statement = self._filter(statement, filters)
        order = id_column.asc() if window.order == "asc" else id_column.desc()
        statement = statement.order_by(order).limit(window.limit + 1)
        return list((await self.conn.execute(statement)).all())

    def _filter(self, statement: Select[Any], filters: CustomerFilters) -> Select[Any]:
        if filters.statuses:
            statement = statement.where(customers.c.status.in_(filters.statuses))
        if filters.email_key is not None:
            statement = statement.where(customers.c.email_key == filters.email_key)
        if filters.search is not None:
            statement = statement.where(self._search_clause(filters.search))
        for key, value in filters.custom_data:
            statement = statement.where(self._custom_data_clause(key, value))
        return statement

    def _search_clause(self, term: str) -> Any:
        needle = term.lower()
        if self._postgres:
            # LIKE with a leading wildcard is what the pg_trgm GIN index serves.
            escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            return customers.c.search_text.like(f"%{escaped}%", escape="\\")
        return func.instr(customers.c.search_text, needle) > 0

    def _custom_data_clause(self, key: str, value: str) -> Any:
        if self._postgres:
            # Containment of {key: value} matches a top-level string exactly and uses
            # the jsonb_path_ops GIN index.
            return type_coerce(customers.c.custom_data, JSONB).contains({key: value})
        path = '$."' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return (func.json_type(customers.c.custom_data, path) == literal("text")) & (
            func.json_extract(customers.c.custom_data, path) == value
        )
