"""Many rows in one statement: the multi-row ``INSERT … VALUES`` a batch writes with.

Row ``i``'s value of ``column`` is bound as ``r<i>_<column>``. One statement per table,
columns and row count, built on first use; a batch has at most a few hundred rows, so
the statement stays well under either database's limit on bound values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from sqlalchemy import Table, bindparam

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
