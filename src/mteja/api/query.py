"""Query-string rules shared by every list route."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, Query, Request
from pydantic import AfterValidator

from mteja.core.errors import FieldError, ValidationFailed
from mteja.core.paging import Order, Window, build_window, decode_cursor, parse_statuses
from mteja.core.time import parse_rfc3339

PAGING_PARAMS = frozenset({"limit", "cursor", "order", "created_at[gte]", "created_at[lt]"})

# Every check is a validator of its parameter, so that FastAPI reports all bad
# parameters of a request together, in one 400.


def _cursor(value: str | None) -> str | None:
    if value is not None:
        decode_cursor(value, None)
    return value


def _rfc3339(value: str | None) -> str | None:
    if value is not None and parse_rfc3339(value) is None:
        raise ValueError("not an RFC 3339 date-time (2024-08-26T12:15:00Z)")
    return value


def statuses_of(allowed: tuple[str, ...]) -> AfterValidator:
    """Validates a ``status=a,b`` filter against the statuses of one resource."""

    def check(value: str | None) -> str | None:
        parse_statuses(value, allowed)
        return value

    return AfterValidator(check)


Limit = Annotated[int, Query(ge=1, le=100, description="Page size, 1 to 100.")]
Cursor = Annotated[
    str | None,
    Query(max_length=512, description="`next_cursor` of the previous page."),
    AfterValidator(_cursor),
]
OrderParam = Annotated[Literal["asc", "desc"], Query(description="By `created_at`, ties by `id`.")]
CreatedGte = Annotated[
    str | None,
    Query(alias="created_at[gte]", max_length=64, description="RFC 3339, inclusive."),
    AfterValidator(_rfc3339),
]
CreatedLt = Annotated[
    str | None,
    Query(alias="created_at[lt]", max_length=64, description="RFC 3339, exclusive."),
    AfterValidator(_rfc3339),
]


def reject_unknown(
    request: Request, known: Iterable[str], *, prefixes: tuple[str, ...] = ()
) -> None:
    """A misspelt filter must not silently widen a list, nor a repeated one narrow it."""
    allowed = PAGING_PARAMS.union(known)
    errors: list[FieldError] = []
    seen: set[str] = set()
    for name, _ in request.query_params.multi_items():
        if name in seen:
            errors.append(FieldError(name, "is given more than once; use a comma list"))
        seen.add(name)
        if name not in allowed and not name.startswith(prefixes or ("\x00",)):
            errors.append(FieldError(name, "is not a known parameter", "parameter_unknown"))
    if errors:
        raise ValidationFailed(errors)


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
StatusQuery = Query(max_length=64, description="Comma list of statuses to include.")
