"""The query string of a list, as one model: validated in a single pass.

Declaring a dozen separate query parameters made the framework's per-parameter handling
the largest cost of a list request (see docs/performance.md); one model validates them
all at once and still reports every bad parameter together.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from mteja.core.paging import Window, build_window, decode_cursor, parse_statuses
from mteja.core.time import parse_rfc3339


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


class ListQuery(BaseModel):
    """Paging parameters every list takes; subclasses add the resource's filters."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=20, ge=1, le=100, description="Page size, 1 to 100.")
    cursor: Annotated[str | None, AfterValidator(_cursor)] = Field(
        default=None, max_length=512, description="`next_cursor` of the previous page."
    )
    order: Literal["asc", "desc"] = Field(
        default="desc", description="By `created_at`, ties by `id`."
    )
    created_gte: Annotated[str | None, AfterValidator(_rfc3339)] = Field(
        default=None, alias="created_at[gte]", max_length=64, description="RFC 3339, inclusive."
    )
    created_lt: Annotated[str | None, AfterValidator(_rfc3339)] = Field(
        default=None, alias="created_at[lt]", max_length=64, description="RFC 3339, exclusive."
    )

    def window(self, *prefixes: str) -> Window:
        return build_window(
            prefixes,
            limit=self.limit,
            order=self.order,
            cursor=self.cursor,
            created_gte=self.created_gte,
            created_lt=self.created_lt,
        )


STATUS_DESCRIPTION = "Comma list of statuses to include."
