"""Wire-schema building blocks: strict inputs, the list envelope, the error envelope."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict

T = TypeVar("T")


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
