"""Keyset paging over ULIDs.

Every listed table orders by ``(created_at, id)``. ``created_at`` is the millisecond
timestamp embedded in the id's ULID, so that order is exactly the string order of the
ULID, and a page is ``WHERE id < :last ORDER BY id DESC LIMIT n`` on an index: page
10,000 costs what page 1 costs, and rows inserted or deleted between pages move nothing.
The ``created_at`` bounds become ULID bounds for the same reason.

A ``Window`` speaks in bare ULIDs (the id without its prefix), so that a list mixing
prefixes (payment methods: ``momo_``, ``card_``, ``ba_``) pages the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, Literal, TypeVar

from mteja.core.errors import FieldError, ValidationFailed
from mteja.core.ids import MAX_TIMESTAMP_MS, is_valid_id, lowest_ulid_at
from mteja.core.time import milliseconds_ceil, parse_rfc3339

Order = Literal["asc", "desc"]
T = TypeVar("T")


def encode_cursor(last_id: str) -> str:
    """A cursor is the id of the last item of the page: opaque to clients, but of a shape
    the OpenAPI document can state exactly (``id_pattern``), so that a generated client or
    a fuzzer knows which cursors exist."""
    return last_id


def decode_cursor(cursor: str, prefixes: tuple[str, ...] | None) -> str:
    """The ULID a cursor continues after; ValueError when it is not one of ours (of a list
    of ``prefixes`` ids, or of any list when None)."""
    prefix, _, ulid = cursor.partition("_")
    if (prefixes is not None and prefix not in prefixes) or not is_valid_id(cursor, prefix):
        raise ValueError("not a valid cursor")
    return ulid


def ulid_bound(instant: datetime) -> str:
    """The smallest ULID made at or after ``instant``."""
    milliseconds = min(max(milliseconds_ceil(instant), 0), MAX_TIMESTAMP_MS)
    return lowest_ulid_at(milliseconds)


@dataclass(frozen=True, slots=True)
class Window:
    """Where a page starts and what range of ULIDs it may contain."""

    limit: int
    order: Order
    after: str | None = None
    min: str | None = None  # inclusive
    below: str | None = None  # exclusive


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    data: list[T]
    has_more: bool
    next_cursor: str | None


def page_from_rows(rows: Sequence[T], limit: int, id_of: Callable[[T], str]) -> Page[T]:
    """Rows were fetched with ``limit + 1``; the extra row only tells that more exist."""
    if len(rows) <= limit:
        return Page(data=list(rows), has_more=False, next_cursor=None)
    data = list(rows[:limit])
    return Page(data=data, has_more=True, next_cursor=encode_cursor(id_of(data[-1])))


def build_window(
    prefixes: tuple[str, ...],
    *,
    limit: int,
    order: Order,
    cursor: str | None,
    created_gte: str | None,
    created_lt: str | None,
) -> Window:
    """A page's window from list parameters; InvalidRequest names every bad one."""
    errors: list[FieldError] = []
    after = None
    if cursor is not None:
        try:
            after = decode_cursor(cursor, prefixes)
        except ValueError as error:
            errors.append(FieldError("cursor", str(error)))
    bounds: dict[str, str | None] = {}
    for param, value in (("created_at[gte]", created_gte), ("created_at[lt]", created_lt)):
        bounds[param] = None
        if value is None:
            continue
        instant = parse_rfc3339(value)
        if instant is None:
            errors.append(FieldError(param, "not an RFC 3339 date-time (2024-08-26T12:15:00Z)"))
        else:
            bounds[param] = ulid_bound(instant)
    if errors:
        raise ValidationFailed(errors)
    return Window(
        limit=limit,
        order=order,
        after=after,
        min=bounds["created_at[gte]"],
        below=bounds["created_at[lt]"],
    )


def parse_statuses(value: str | None, allowed: tuple[str, ...]) -> tuple[str, ...]:
    """A ``status=a,b`` filter; ValueError when a value is not one of ``allowed``."""
    if value is None:
        return ()
    statuses = tuple(dict.fromkeys(part.strip() for part in value.split(",")))
    if any(status not in allowed for status in statuses):
        raise ValueError("each must be one of " + ", ".join(allowed))
    return statuses
