"""The query string of a list, as one model: validated in a single pass.

Declaring a dozen separate query parameters made the framework's per-parameter handling
the largest cost of a list request (see docs/performance.md); one model validates them
all at once and still reports every bad parameter together.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from mteja.core.ids import id_pattern
from mteja.core.paging import Window, build_window, decode_cursor, parse_statuses
from mteja.core.time import RFC3339_PATTERN, parse_rfc3339
from mteja.core.validation import alternatives, documented


def _rfc3339(value: str | None) -> str | None:
    if value is not None and parse_rfc3339(value) is None:
        raise ValueError(
            "not an RFC 3339 date-time of the years 0002 to 9998 (2024-08-26T12:15:00Z)"
        )
    return value


def comma_list_pattern(words: list[str]) -> str:
    """``a,b`` of these words, white space around each allowed (it is stripped)."""
    word = alternatives(words)
    return rf"^\s*{word}\s*(?:,\s*{word}\s*)*$"


def statuses_of(allowed: tuple[str, ...]) -> AfterValidator:
    """Validates a ``status=a,b`` filter against the statuses of one resource."""

    def check(value: str | None) -> str | None:
        parse_statuses(value, allowed)
        return value

    return AfterValidator(check)


def statuses_pattern(allowed: tuple[str, ...]) -> Any:
    """What ``statuses_of`` accepts, for the document."""
    return documented(pattern=comma_list_pattern(list(allowed)))


RFC3339 = Annotated[
    str | None, AfterValidator(_rfc3339), documented(format="date-time", pattern=RFC3339_PATTERN)
]


class ListQuery(BaseModel):
    """Paging parameters every list takes; subclasses add the resource's filters."""

    model_config = ConfigDict(extra="forbid")
    # The id prefixes of the listed objects: a cursor is one of their ids.
    cursor_prefixes: ClassVar[tuple[str, ...]] = ()

    limit: int = Field(default=20, ge=1, le=100, description="Page size, 1 to 100.")
    cursor: str | None = Field(default=None, description="`next_cursor` of the previous page.")
    order: Literal["asc", "desc"] = Field(
        default="desc", description="By `created_at`, ties by `id`."
    )
    created_gte: RFC3339 = Field(
        default=None, alias="created_at[gte]", max_length=64, description="RFC 3339, inclusive."
    )
    created_lt: RFC3339 = Field(
        default=None, alias="created_at[lt]", max_length=64, description="RFC 3339, exclusive."
    )

    @field_validator("cursor")
    @classmethod
    def _cursor(cls, value: str | None, _info: ValidationInfo) -> str | None:
        if value is not None:
            decode_cursor(value, cls.cursor_prefixes or None)
        return value

    @classmethod
    def cursor_pattern(cls) -> str:
        return id_pattern(*cls.cursor_prefixes)

    def window(self) -> Window:
        return build_window(
            self.cursor_prefixes,
            limit=self.limit,
            order=self.order,
            cursor=self.cursor,
            created_gte=self.created_gte,
            created_lt=self.created_lt,
        )


STATUS_DESCRIPTION = "Comma list of statuses to include."
