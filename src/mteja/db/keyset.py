"""The SQL side of keyset paging (see ``core.paging``), shared by every list."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam

from mteja.core.paging import Order, Window
from mteja.db.sql import Sql


@dataclass(frozen=True, slots=True)
class KeysetShape:
    """Which bounds a page has: with the filters, what makes one cached statement."""

    order: Order
    after: bool
    min: bool
    below: bool


def keyset_shape(window: Window) -> KeysetShape:
    return KeysetShape(
        order=window.order,
        after=window.after is not None,
        min=window.min is not None,
        below=window.below is not None,
    )


def keyset_params(window: Window, prefix: str) -> dict[str, Any]:
    """Bound values for a key column holding ``prefix`` + ULID (prefix "" for a bare ULID)."""

    def key(ulid: str | None) -> str | None:
        return None if ulid is None else prefix + ulid

    return {
        "keyset_after": key(window.after),
        "keyset_min": key(window.min),
        "keyset_below": key(window.below),
        "keyset_limit": window.limit + 1,  # one more row than asked tells if more exist
    }


def keyset_conditions(column: Any, shape: KeysetShape) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if shape.after:
        after: Any = bindparam("keyset_after")
        conditions.append(column > after if shape.order == "asc" else column < after)
    if shape.min:
        conditions.append(column >= bindparam("keyset_min"))
    if shape.below:
        conditions.append(column < bindparam("keyset_below"))
    return conditions


def keyset_order(column: Any, shape: KeysetShape) -> Any:
    return column.asc() if shape.order == "asc" else column.desc()


def keyset_limit() -> Any:
    return bindparam("keyset_limit")


def keyset_page(query: Select[Any], key: Any, shape: KeysetShape, *where: Any) -> Sql:
    """``query`` filtered by ``where`` and cut to one page in ``key`` order."""
    statement = (
        query.where(*where, *keyset_conditions(key, shape))
        .order_by(keyset_order(key, shape))
        .limit(keyset_limit())
    )
    return Sql(statement)


def one_of(column: Any, name: str, count: int) -> ColumnElement[bool]:
    """``column IN (:name_0, …, :name_<count-1>)``: a filter on a list of values."""
    result: ColumnElement[bool] = column.in_([bindparam(f"{name}_{i}") for i in range(count)])
    return result
