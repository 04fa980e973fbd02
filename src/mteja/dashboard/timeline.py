"""A customer's events as a timeline: what happened, to which object, and what changed."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mteja.db.sql import Record

# Bookkeeping fields: they change with every change and say nothing by themselves.
_HIDDEN = frozenset({"updated_at"})


@dataclass(frozen=True, slots=True)
class Change:
    field: str
    before: str
    after: str


@dataclass(frozen=True, slots=True)
class Entry:
    event_id: str
    type: str
    object_id: str
    created_at: datetime
    changes: list[Change]


def timeline(rows: Sequence[Record]) -> list[Entry]:
    return [_entry(row) for row in rows]


def _entry(row: Record) -> Entry:
    data = row["data"]
    obj: dict[str, Any] = data.get("object") or {}
    previous: dict[str, Any] = data.get("previous_attributes") or {}
    changes = [
        Change(field=name, before=value_text(old), after=value_text(obj.get(name)))
        for name, old in previous.items()
        if name not in _HIDDEN
    ]
    return Entry(
        event_id=row["id"],
        type=row["type"],
        object_id=str(obj.get("id", "")),
        created_at=row["created_at"],
        changes=changes,
    )


def value_text(value: Any) -> str:
    """A field's value as a person reads it: text as is, anything else as JSON, null as —."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
