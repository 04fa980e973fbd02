"""Query-string rules shared by every list route."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, Query, Request

from mteja.core.errors import FieldError, ValidationFailed
from mteja.core.paging import Order, Window, build_window

PAGING_PARAMS = frozenset({"limit", "cursor", "order", "created_at[gte]", "created_at[lt]"})

Limit = Annotated[int, Query(ge=1, le=100, description="Page size, 1 to 100.")]
Cursor = Annotated[
    str | None, Query(max_length=512, description="`next_cursor` of the previous page.")
]
OrderParam = Annotated[Literal["asc", "desc"], Query(description="By `created_at`, ties by `id`.")]
CreatedGte = Annotated[
    str | None, Query(alias="created_at[gte]", max_length=64, description="RFC 3339, inclusive.")
]
CreatedLt = Annotated[
    str | None, Query(alias="created_at[lt]", max_length=64, description="RFC 3339, exclusive.")
]


def reject_unknown(
    request: Request, known: Iterable[str], *, prefixes: tuple[str, ...] = ()
) -> None:
    """A misspelt filter must not silently widen a list."""
    allowed = PAGING_PARAMS.union(known)
    unknown = [
        name
        for name in request.query_params
        if name not in allowed and not name.startswith(prefixes or ("\x00",))
    ]
    if unknown:
        raise ValidationFailed(
            [FieldError(name, "is not a known parameter", "parameter_unknown") for name in unknown]
        )


def bracketed(request: Request, prefix: str) -> dict[str, str]:
    """``prefix[KEY]=VALUE`` pairs, e.g. ``custom_data[plan]=pro``."""
    pairs: dict[str, str] = {}
    for name, value in request.query_params.multi_items():
        if name.startswith(prefix + "[") and name.endswith("]"):
            pairs[name[len(prefix) + 1 : -1]] = value
    return pairs


@dataclass(frozen=True, slots=True)
class PageQuery:
    limit: int
    order: Order
    cursor: str | None
    created_gte: str | None
    created_lt: str | None

    def window(self, *prefixes: str) -> Window:
        return build_window(
            prefixes,
            limit=self.limit,
            order=self.order,
            cursor=self.cursor,
            created_gte=self.created_gte,
            created_lt=self.created_lt,
        )


async def page_query(
    limit: Limit = 20,
    cursor: Cursor = None,
    order: OrderParam = "desc",
    created_gte: CreatedGte = None,
    created_lt: CreatedLt = None,
) -> PageQuery:
    return PageQuery(limit, order, cursor, created_gte, created_lt)


Paging = Annotated[PageQuery, Depends(page_query)]
StatusFilter = Annotated[
    str | None, Query(max_length=64, description="Comma list of statuses to include.")
]
