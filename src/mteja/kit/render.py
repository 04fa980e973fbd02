"""Rendering rows as wire objects, derived from the resource's output model.

The hot paths answer straight from database rows, skipping pydantic's validation of the
response (measured at a large share of a read's CPU). The wire shape is still written
once: ``row_renderer`` reads the output model's fields, in order, and builds the renderer
from them at import, failing there if a field has no column to come from.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Mapping
from datetime import datetime
from operator import itemgetter
from typing import Any

from pydantic import AwareDatetime, BaseModel
from sqlalchemy import Table

from mteja.core.time import format_timestamp

Row = Any  # a database record or a mapping of column values
Renderer = Callable[[Row], dict[str, Any]]


def row_renderer(
    model: type[BaseModel],
    table: Table,
    *,
    columns: Mapping[str, str] | None = None,
    computed: Mapping[str, Callable[[Row], Any]] | None = None,
) -> Renderer:
    """The wire object of ``model`` from a row of ``table``: each field from the column of
    its name (or ``columns[field]``), timestamps in the API's format, ``computed`` fields
    from their functions."""
    columns = columns or {}
    computed = computed or {}
    unknown = (set(columns) | set(computed)) - set(model.model_fields)
    if unknown:
        raise TypeError(f"{model.__name__} has no field {sorted(unknown)}")
    readers: list[tuple[str, Callable[[Row], Any]]] = []
    for name, field in model.model_fields.items():
        if name in computed:
            readers.append((name, computed[name]))
            continue
        column = columns.get(name, name)
        if column not in table.c:
            raise TypeError(f"{model.__name__}.{name}: {table.name} has no column {column!r}")
        readers.append((name, _reader(column, field.annotation)))
    pairs = tuple(readers)

    def render(row: Row) -> dict[str, Any]:
        return {name: read(row) for name, read in pairs}

    return render


def _reader(column: str, annotation: Any) -> Callable[[Row], Any]:
    kinds = typing.get_args(annotation) if isinstance(annotation, types.UnionType) else ()
    if annotation in (AwareDatetime, datetime):
        return lambda row: format_timestamp(row[column])
    if any(kind in (AwareDatetime, datetime) for kind in kinds):
        return lambda row: None if row[column] is None else format_timestamp(row[column])
    return itemgetter(column)
