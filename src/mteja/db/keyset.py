"""The SQL side of keyset paging (see ``core.paging``), shared by every list."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, bindparam

from mteja.core.paging import Order, Window


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
