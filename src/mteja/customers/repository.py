"""Customer queries, always scoped to one account.

Every statement filters on ``account_id``, taken from the repository and never from
input. Statements are built once per shape (see ``db.sql``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Text,
    bindparam,
    delete,
    func,
    literal,
    select,
    true,
    type_coerce,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB

from mteja.core.identity import email_key, email_match_key, name_key
from mteja.core.paging import Window
from mteja.customers.tables import customer_counts, customers
from mteja.db.keyset import (
    KeysetShape,
    keyset_page,
    keyset_params,
    keyset_shape,
    one_of,
)
from mteja.db.rows import columns_params, rows_params, unnested_rows, values_of_rows
from mteja.db.sql import Bound, Record, Sql, UniqueViolation
from mteja.kit.repository import ScopedRepository

_COLUMNS = (
    customers.c.id,
    customers.c.external_id,
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
    customers.c.redacted_at,
)
_IN_ACCOUNT = customers.c.account_id == bindparam("account_id")
_OWNER_COLUMNS = (customers.c.id, customers.c.email_key, customers.c.external_id)
_BY_ID = _IN_ACCOUNT & (customers.c.id == bindparam("id"))

_GET = Sql(select(*_COLUMNS).where(_BY_ID))
_GET_FOR_UPDATE = Sql(select(*_COLUMNS).where(_BY_ID).with_for_update())
_ID_BY_EMAIL_KEY = Sql(
    select(customers.c.id).where(_IN_ACCOUNT, customers.c.email_key == bindparam("email_key"))
)
_ID_BY_EXTERNAL_ID = Sql(
    select(customers.c.id).where(_IN_ACCOUNT, customers.c.external_id == bindparam("external_id"))
)
# Each a probe of its own index, cut short: a name shared by half the account still costs
# one page of it. Redacted customers have no keys left, so they are never found.
_MATCH_LIMIT = 100
_BY_EMAIL_MATCH_KEY = Sql(
    select(customers.c.id)
    .where(_IN_ACCOUNT, customers.c.email_match_key == bindparam("key"))
    .limit(_MATCH_LIMIT)
)
_BY_NAME_KEY = Sql(
    select(customers.c.id)
    .where(_IN_ACCOUNT, customers.c.name_key == bindparam("key"))
    .limit(_MATCH_LIMIT)
)
_DELETE = Sql(delete(customers).where(_BY_ID).returning(*_COLUMNS))
# Both read the counts the triggers keep (migration 0030): a few rows per day of the
# account's life, never its customers.
_IN_ACCOUNT_COUNTS = customer_counts.c.account_id == bindparam("account_id")
_COUNT_BY_STATUS = Sql(
    select(customer_counts.c.status, func.sum(customer_counts.c.customers))
    .where(_IN_ACCOUNT_COUNTS)
    .group_by(customer_counts.c.status)
)
_CREATED_PER_DAY = Sql(
    select(customer_counts.c.day, func.sum(customer_counts.c.customers))
    .where(_IN_ACCOUNT_COUNTS, customer_counts.c.day >= bindparam("first_day"))
    .group_by(customer_counts.c.day)
    .order_by(customer_counts.c.day)
)


def _insert(dialect_insert: Any) -> Sql:
    values: dict[str, Any] = {c.name: bindparam(f"v_{c.name}") for c in customers.c}
    return Sql(
        dialect_insert(customers).values(values).on_conflict_do_nothing().returning(*_COLUMNS)
    )


# The unique indexes decide (email, external id): a conflicting insert returns no row.
_INSERT = {"postgresql": _insert(postgresql.insert), "sqlite": _insert(sqlite.insert)}


_ALL_COLUMNS = tuple(c.name for c in customers.c)


@cache
def _insert_many(count: int) -> Sql:
    """``count`` new customers in one statement (SQLite); rows that meet an existing email
    or external id are left out of what it returns, as a single insert's are."""
    rows = values_of_rows(customers, _ALL_COLUMNS, count)
    statement = sqlite.insert(customers).values(rows).on_conflict_do_nothing()
    return Sql(statement.returning(*_COLUMNS))


# The same on PostgreSQL, for any number of customers (see ``db.rows``).
_INSERT_UNNESTED = Sql(
    postgresql.insert(customers)
    .from_select(list(_ALL_COLUMNS), unnested_rows(customers, _ALL_COLUMNS))
    .on_conflict_do_nothing()
    .returning(*_COLUMNS)
)


@cache
def _owners(emails: int, external_ids: int) -> Sql:
    """The customers holding any of these email keys or external ids (SQLite): each side
    a probe of its unique index."""
    found = one_of(customers.c.email_key, "email_key", emails)
    if external_ids:
        found = found | one_of(customers.c.external_id, "external_id", external_ids)
    return Sql(select(*_OWNER_COLUMNS).where(_IN_ACCOUNT, found))


def _owner_probes(column: Any, values: str) -> Select[Any]:
    """One probe of ``column``'s unique index per value of the array ``values``.

    A LIMIT 1 lateral subquery cannot be turned into a scan: planned as ``column IN
    (…)``, a table whose statistics predate an import (a new account, or autovacuum not
    yet round) looked cheaper to read whole through ``account_id``, and each batch of an
    import read every customer the account already had — an import slowed as it grew."""
    wanted = func.unnest(bindparam(values, type_=postgresql.ARRAY(Text)))
    wanted_values = wanted.table_valued("value").render_derived(name=f"wanted_{values}")
    owner = (
        select(*_OWNER_COLUMNS)
        .where(_IN_ACCOUNT, column == wanted_values.c.value)
        .limit(1)
        .lateral(f"owner_{values}")
    )
    return select(*owner.c).select_from(wanted_values.join(owner, true()))


_OWNERS_POSTGRES = Sql(
    union_all(
        _owner_probes(customers.c.email_key, "email_keys"),
        _owner_probes(customers.c.external_id, "external_ids"),
    )
)


@cache
def _by_phones(count: int) -> Sql:
    return Sql(
        select(customers.c.id, customers.c.phone)
        .where(_IN_ACCOUNT, one_of(customers.c.phone, "phone", count))
        .limit(_MATCH_LIMIT)
    )


@cache
def _get_many(count: int) -> Sql:
    return Sql(select(*_COLUMNS).where(_IN_ACCOUNT, one_of(customers.c.id, "id", count)))


# In an UPDATE, a bind parameter named like a column would be taken for its new value.
_UPDATE_TARGET = (customers.c.account_id == bindparam("where_account_id")) & (
    customers.c.id == bindparam("where_id")
)


@cache
def _update(columns: tuple[str, ...]) -> Sql:
    values: dict[str, Any] = {name: bindparam(f"v_{name}") for name in columns}
    return Sql(update(customers).where(_UPDATE_TARGET).values(values).returning(*_COLUMNS))


def search_text(name: str, email: str, phone: str | None) -> str:
    # \x1f keeps a search term from matching across two fields.
    return f"{name}\x1f{email}\x1f{phone or ''}".lower()


def derived_columns(name: str, email: str, phone: str | None) -> dict[str, Any]:
    """The columns a customer's name, email and phone decide: uniqueness, search and the
    keys duplicates are found by. Every write of those three sets all of them."""
    return {
        "email_key": email_key(email),
        "search_text": search_text(name, email, phone),
        "email_match_key": email_match_key(email),
        "name_key": name_key(name),
    }


class Taken(Exception):
    """A unique index refused the row: the account already has a customer with this
    ``field`` (``email`` or ``external_id``)."""

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


@dataclass(frozen=True, slots=True)
class CustomerFilters:
    statuses: tuple[str, ...] = ()
    email_key: str | None = None
    search: str | None = None
    custom_data: tuple[tuple[str, str], ...] = ()
    external_id: str | None = None
    phone: str | None = None


class CustomerRepository(ScopedRepository):
    async def get(self, customer_id: str, *, for_update: bool = False) -> Record | None:
        sql = _GET_FOR_UPDATE if for_update and self.conn.is_postgres else _GET
        return await self.conn.one(sql, {"account_id": self.account_id, "id": customer_id})

    def insertion(self, values: dict[str, Any]) -> Bound:
        """The insert of a new customer, returning its row, or no row when the account
        already has a customer with this email; run with its event by the recorder."""
        return Bound(_INSERT[self.conn.dialect], self.row_params(values))

    async def insert_many(self, rows: Sequence[dict[str, Any]]) -> dict[str, Record]:
        """Inserts new customers in one statement; the rows stored, by id. A row missing
        from the answer met a unique value stored since its owner was looked up."""
        if self.conn.is_postgres:
            params = columns_params(self.account_id, _ALL_COLUMNS, rows)
            stored = await self.conn.all(_INSERT_UNNESTED, params)
        else:
            params = rows_params([{**row, "account_id": self.account_id} for row in rows])
            stored = await self.conn.all(_insert_many(len(rows)), params)
        return {str(row["id"]): row for row in stored}

    async def owners(
        self, email_keys: Sequence[str], external_ids: Sequence[str]
    ) -> tuple[dict[str, str], dict[str, str]]:
        """Which customers already hold these email keys and external ids:
        ``({email_key: id}, {external_id: id})``."""
        params: dict[str, Any] = {"account_id": self.account_id}
        if self.conn.is_postgres:
            params.update(email_keys=list(email_keys), external_ids=list(external_ids))
            rows = await self.conn.all(_OWNERS_POSTGRES, params)
        else:
            params.update({f"email_key_{i}": value for i, value in enumerate(email_keys)})
            params.update({f"external_id_{i}": value for i, value in enumerate(external_ids)})
            rows = await self.conn.all(_owners(len(email_keys), len(external_ids)), params)
        wanted_emails, wanted_ids = set(email_keys), set(external_ids)
        by_email = {row["email_key"]: str(row["id"]) for row in rows}
        by_external_id = {row["external_id"]: str(row["id"]) for row in rows}
        return (
            {key: owner for key, owner in by_email.items() if key in wanted_emails},
            {key: owner for key, owner in by_external_id.items() if key in wanted_ids},
        )

    async def id_by_email_key(self, email_key: str) -> str | None:
        params = {"account_id": self.account_id, "email_key": email_key}
        found = await self.conn.scalar(_ID_BY_EMAIL_KEY, params)
        return None if found is None else str(found)

    async def id_by_external_id(self, external_id: str) -> str | None:
        params = {"account_id": self.account_id, "external_id": external_id}
        found = await self.conn.scalar(_ID_BY_EXTERNAL_ID, params)
        return None if found is None else str(found)

    async def get_many(self, customer_ids: Sequence[str]) -> Sequence[Record]:
        if not customer_ids:
            return []
        params: dict[str, Any] = {f"id_{i}": value for i, value in enumerate(customer_ids)}
        params["account_id"] = self.account_id
        return await self.conn.all(_get_many(len(customer_ids)), params)

    async def ids_by_phones(self, phones: Sequence[str]) -> Sequence[Record]:
        """``id, phone`` of customers whose phone is one of ``phones``."""
        if not phones:
            return []
        params: dict[str, Any] = {f"phone_{i}": value for i, value in enumerate(phones)}
        params["account_id"] = self.account_id
        return await self.conn.all(_by_phones(len(phones)), params)

    async def ids_by_email_match_key(self, key: str) -> list[str]:
        rows = await self.conn.all(_BY_EMAIL_MATCH_KEY, {"account_id": self.account_id, "key": key})
        return [str(row[0]) for row in rows]

    async def ids_by_name_key(self, key: str) -> list[str]:
        rows = await self.conn.all(_BY_NAME_KEY, {"account_id": self.account_id, "key": key})
        return [str(row[0]) for row in rows]

    async def update(self, customer_id: str, values: dict[str, Any]) -> Record:
        columns = tuple(sorted(values))
        params = {f"v_{name}": values[name] for name in columns}
        params.update(where_account_id=self.account_id, where_id=customer_id)
        try:
            row = await self.conn.one(_update(columns), params)
        except UniqueViolation as error:
            for field, column in (("email", "email_key"), ("external_id", "external_id")):
                if column in error.constraint:
                    raise Taken(field) from None
            raise
        assert row is not None, "the caller holds the row locked"
        return row

    async def count_by_status(self) -> dict[str, int]:
        rows = await self.conn.all(_COUNT_BY_STATUS, {"account_id": self.account_id})
        return {str(row[0]): int(row[1]) for row in rows}

    async def created_per_day(self, first_day: str) -> dict[str, int]:
        """``{"2026-11-25": 12, …}``: customers (still there) created per UTC day, from
        ``first_day`` (``YYYY-MM-DD``) on."""
        params = {"account_id": self.account_id, "first_day": first_day}
        rows = await self.conn.all(_CREATED_PER_DAY, params)
        return {str(row[0]): int(row[1]) for row in rows}

    async def delete(self, customer_id: str) -> Record | None:
        """The deleted row, as it was; None when there was none."""
        return await self.conn.one(_DELETE, {"account_id": self.account_id, "id": customer_id})

    async def list(self, filters: CustomerFilters, window: Window) -> Sequence[Record]:
        params: dict[str, Any] = keyset_params(window, "cus_")
        params["account_id"] = self.account_id
        params["email_key"] = filters.email_key
        params["external_id"] = filters.external_id
        params["phone"] = filters.phone
        for index, status in enumerate(filters.statuses):
            params[f"status_{index}"] = status
        if filters.search is not None:
            needle = filters.search.lower()
            params["search"] = _like_pattern(needle) if self.conn.is_postgres else needle
        if filters.custom_data and self.conn.is_postgres:
            params["custom_data"] = dict(filters.custom_data)
        for index, (key, value) in enumerate(filters.custom_data):
            params[f"cd_path_{index}"] = _json_path(key)
            params[f"cd_value_{index}"] = value
        sql = _list(
            self.conn.dialect,
            keyset_shape(window),
            statuses=len(filters.statuses),
            email=filters.email_key is not None,
            search=filters.search is not None,
            custom_data=len(filters.custom_data),
            external_id=filters.external_id is not None,
            phone=filters.phone is not None,
        )
        return await self.conn.all(sql, params)


@cache
def _list(
    dialect: str,
    shape: KeysetShape,
    *,
    statuses: int,
    email: bool,
    search: bool,
    custom_data: int,
    external_id: bool,
    phone: bool,
) -> Sql:
    """One statement per combination of filters, built on first use."""
    conditions = [_IN_ACCOUNT]
    if statuses:
        conditions.append(one_of(customers.c.status, "status", statuses))
    if email:
        conditions.append(customers.c.email_key == bindparam("email_key"))
    if external_id:
        conditions.append(customers.c.external_id == bindparam("external_id"))
    if phone:
        conditions.append(customers.c.phone == bindparam("phone"))
    if search:
        conditions.append(_search_clause(dialect))
    if custom_data:
        conditions.extend(_custom_data_clauses(dialect, custom_data))
    return keyset_page(select(*_COLUMNS), customers.c.id, shape, *conditions)


def _search_clause(dialect: str) -> ColumnElement[bool]:
    if dialect == "postgresql":
        # LIKE with a leading wildcard is what the pg_trgm GIN index serves.
        return customers.c.search_text.like(bindparam("search"), escape="\\")
    return func.instr(customers.c.search_text, bindparam("search")) > 0


def _custom_data_clauses(dialect: str, count: int) -> list[ColumnElement[bool]]:
    if dialect == "postgresql":
        # Containment of {key: value, …} matches top-level strings exactly, and the
        # jsonb_path_ops GIN index serves it.
        column = type_coerce(customers.c.custom_data, JSONB)
        return [column.contains(bindparam("custom_data", type_=JSONB))]
    clauses: list[ColumnElement[bool]] = []
    for index in range(count):
        path: Any = bindparam(f"cd_path_{index}")
        clauses.append(func.json_type(customers.c.custom_data, path) == literal("text"))
        clauses.append(
            func.json_extract(customers.c.custom_data, path) == bindparam(f"cd_value_{index}")
        )
    return clauses


def _like_pattern(needle: str) -> str:
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _json_path(key: str) -> str:
    return '$."' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'
