"""Events on the wire."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import AwareDatetime, Field

from mteja.core.schemas import OutputModel
from mteja.core.time import format_timestamp
from mteja.db.sql import Record

# Every type of event there is: the vocabulary of ``type`` filters and subscriptions.
EVENT_TYPES = (
    "customer.created",
    "customer.updated",
    "customer.deleted",
    "address.created",
    "address.updated",
    "business.created",
    "business.updated",
    "payment_method.created",
    "payment_method.updated",
    "payment_method.deleted",
    "webhook_endpoint.disabled",
)


class EventData(OutputModel):
    object: dict[str, Any] = Field(description="The object after the change (before, if deleted).")
    previous_attributes: dict[str, Any] | None = Field(
        description="On *.updated: the fields that changed, with their old values."
    )


class EventOut(OutputModel):
    id: str = Field(examples=["evt_01h3vjs3b16yc3f9q8q9pfrb78"])
    type: str = Field(examples=["customer.updated"])
    created_at: AwareDatetime
    data: EventData


def render_event(row: Record | Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "type": row["type"],
        "created_at": format_timestamp(row["created_at"]),
        "data": row["data"],
    }
