"""What Citus runs on one shard, checked on every statement the PostgreSQL tests run.

Citus routes a statement to one shard when it filters each distributed table it reads or
writes on ``account_id``; an ``INSERT … VALUES`` with a subquery is refused outright, and
``FOR UPDATE`` works only on one shard. ``tests/conftest.py`` records each statement the
app runs through the driver and fails the test that ran one that breaks these rules. The
only statements read across accounts are marked so (``Sql(cross_account=True)``), and
they must stay plain reads.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from sqlalchemy import Table
from sqlalchemy.sql import operators, visitors
from sqlalchemy.sql.dml import Delete, Insert, Update
from sqlalchemy.sql.elements import BinaryExpression, BindParameter, ColumnElement, TextClause
from sqlalchemy.sql.selectable import Exists, Join, ScalarSelect, Select

import mteja.api.app
import mteja.db.sql
from mteja.db.citus import DISTRIBUTION_COLUMN, distributed_tables
from mteja.db.sql import Sql
from mteja.db.types import metadata

_TESTS = str(Path(__file__).parent)
_DB = str(Path(mteja.db.sql.__file__).parent)

DISTRIBUTED = frozenset(distributed_tables(metadata.sorted_tables))


def issued_by_the_app() -> bool:
    """Whether the statement being run comes from the app's code (a repository), rather
    than from a test's own SQL: the first frame up the stack outside ``mteja.db`` and
    the hook says which."""
    frame = sys._getframe(1)
    while frame is not None:
        path = frame.f_code.co_filename
        if not path.startswith(_DB) and path != __file__ and not path.endswith("conftest.py"):
            return not path.startswith(_TESTS)
        frame = frame.f_back  # type: ignore[assignment]
    return True


def problems(sql: Sql) -> list[str]:
    """What Citus would not run on one shard in ``sql``; nothing when it would."""
    return list(_problems(sql))


@cache
def _problems(sql: Sql) -> tuple[str, ...]:
    statement = sql.statement
    if isinstance(statement, TextClause):
        return tuple(_text_problems(statement.text))
    found: list[str] = []
    for element in visitors.iterate(statement, {}):  # type: ignore[arg-type]
        if isinstance(element, Select):
            found.extend(_select_problems(element, sql.cross_account and element is statement))
        elif isinstance(element, Update | Delete):
            table = _table_name(element.table)
            if table in DISTRIBUTED and not _filters_account(element.whereclause, {table}):
                found.append(f"{type(element).__name__.upper()} of {table} not by account")
        elif isinstance(element, Insert):
            found.extend(_insert_problems(element))
    return tuple(found)


def _select_problems(select: Select[object], cross_account: bool) -> Iterator[str]:
    tables = {name for name in _from_tables(select) if name in DISTRIBUTED}
    if not tables or _filters_account(select.whereclause, tables):
        return
    locking = select._for_update_arg is not None
    if cross_account and not locking:
        return  # a declared read of every account's rows
    what = "FOR UPDATE across accounts" if locking else "a read not filtered by account"
    yield f"{what}: {', '.join(sorted(tables))}"


def _insert_problems(insert: Insert) -> Iterator[str]:
    values = list((insert._values or {}).values())
    for row in insert._multi_values or ():
        for item in row:
            values.extend(item.values() if isinstance(item, dict) else item)
    for value in values:
        if isinstance(value, ScalarSelect | Exists | Select):
            yield f"a subquery in INSERT … VALUES into {_table_name(insert.table)}"


def _from_tables(select: Select[object]) -> Iterator[str]:
    for source in select.get_final_froms():
        yield from _tables_of(source)


def _tables_of(source: object) -> Iterator[str]:
    if isinstance(source, Join):
        yield from _tables_of(source.left)
        yield from _tables_of(source.right)
    elif isinstance(source, Table):
        yield source.name
    else:
        original = getattr(source, "element", None)
        if isinstance(original, Table):
            yield original.name  # an alias of a table


def _filters_account(where: ColumnElement[bool] | None, tables: set[str]) -> bool:
    """Whether ``where`` holds ``<table>.account_id = <one value>`` for one of ``tables``
    (the others join it on account_id, or are filtered too)."""
    if where is None:
        return False
    for element in visitors.iterate(where, {}):
        if not isinstance(element, BinaryExpression) or element.operator is not operators.eq:
            continue
        for column, other in ((element.left, element.right), (element.right, element.left)):
            if (
                getattr(column, "name", None) == DISTRIBUTION_COLUMN
                and _table_name(getattr(column, "table", None)) in tables
                and isinstance(other, BindParameter)
            ):
                return True
    return False


def _table_name(table: object) -> str | None:
    original = getattr(table, "element", table)
    return original.name if isinstance(original, Table) else None


_WORD = re.compile(r"[a-z_]+")


def _text_problems(text: str) -> Iterator[str]:
    """Hand-written SQL: a distributed table it names must be filtered by account."""
    lowered = text.lower()
    if lowered.lstrip().startswith(("create ", "drop ", "alter ")):
        return  # a test's own schema change, not a statement of the app
    named = DISTRIBUTED & set(_WORD.findall(lowered))
    if named and f"{DISTRIBUTION_COLUMN} =" not in lowered:
        yield f"hand-written SQL on {', '.join(sorted(named))} not filtered by account"
