"""Many rows in one statement, as a batch writes them.

PostgreSQL: one array per column, bound as ``c_<column>`` and unnested into rows. The
statement is the same whatever the row count, so it is prepared once per connection, and
its values travel as a dozen arrays instead of a parameter per value (a batch's events
were 1,650 parameters and a statement text of tens of kilobytes, hashed, parsed and
planned again for every new row count).

SQLite (no arrays): a multi-row ``INSERT … VALUES``, row ``i``'s value of ``column``
bound as ``r<i>_<column>``; one statement per table, columns and row count, built on
first use. A batch has at most a few hundred rows, well under SQLite's limit on bound
values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from sqlalchemy import Select, Table, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY

from mteja.db.sql import Sql


def values_of_rows(table: Table, columns: tuple[str, ...], count: int) -> list[dict[str, Any]]:
    """The ``VALUES`` of ``count`` rows, as ``insert(table).values(…)`` takes them."""
    return [
        {name: bindparam(f"r{index}_{name}", type_=table.c[name].type) for name in columns}
        for index in range(count)
    ]


def rows_params(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The bind values of ``rows``, each a mapping of column to value."""
    params: dict[str, Any] = {}
    for index, row in enumerate(rows):
        params.update({f"r{index}_{name}": value for name, value in row.items()})
    return params


@cache
def insert_rows(table: Table, columns: tuple[str, ...], count: int) -> Sql:
    """``INSERT INTO table (columns) VALUES (…), (…), …``: ``count`` rows."""
    return Sql(table.insert().values(values_of_rows(table, columns, count)))


def unnested_rows(table: Table, columns: tuple[str, ...]) -> Select[Any]:
    """PostgreSQL: ``SELECT :account_id, … FROM unnest(:c_<column>, …)``: rows of one
    account, given as one array per other column (``columns_params``), in the order of
    ``columns``, for ``INSERT … SELECT``."""
    others = [name for name in columns if name != "account_id"]
    arrays = [bindparam(f"c_{name}", type_=ARRAY(table.c[name].type)) for name in others]
    rows = func.unnest(*arrays).table_valued(*others).render_derived(name="batch")
    account = bindparam("account_id", type_=table.c.account_id.type)
    return select(*(account if name == "account_id" else rows.c[name] for name in columns))


def columns_params(
    account_id: str, columns: tuple[str, ...], rows: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """What ``unnested_rows`` binds: the account, and each other column's values."""
    params: dict[str, Any] = {"account_id": account_id}
    for name in columns:
        if name != "account_id":
            params[f"c_{name}"] = [row[name] for row in rows]
    return params


@cache
def insert_unnested(table: Table, columns: tuple[str, ...]) -> Sql:
    """PostgreSQL: ``INSERT INTO table (columns) SELECT … FROM unnest(…)``, any row count."""
    return Sql(table.insert().from_select(list(columns), unnested_rows(table, columns)))
