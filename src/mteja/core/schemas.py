"""Wire-schema building blocks: strict inputs, the list envelope, the error envelope."""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

T = TypeVar("T")


def _integral_number(value: Any) -> Any:
    # JSON Schema calls 2030.0 an integer, so a client may send one; strict inputs would
    # refuse it. Any other float still fails as not an integer.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# An integer field of a request body: a whole number, written 2030 or 2030.0.
WholeNumber = Annotated[int, BeforeValidator(_integral_number)]


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def optional() -> Any:
    """A PATCH field: absent means unchanged. The schema shows no default."""
    return Field(default=None, json_schema_extra=_no_default)


def not_null(value: Any) -> Any:
    """For fields a PATCH may leave out but not clear."""
    if value is None:
        raise ValueError("must not be null")
    return value


class InputModel(BaseModel):
    """A request body: unknown fields are refused, and no value is coerced across types."""

    model_config = ConfigDict(extra="forbid", strict=True)


class OutputModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ListOf(OutputModel, Generic[T]):
    data: list[T]
    has_more: bool
    next_cursor: str | None


class FieldErrorOut(OutputModel):
    param: str | None
    message: str


class ErrorDetail(OutputModel):
    type: str
    code: str
    message: str
    param: str | None
    errors: list[FieldErrorOut]
    request_id: str


class ErrorOut(OutputModel):
    error: ErrorDetail


class DeletedOut(OutputModel):
    id: str
    deleted: bool
