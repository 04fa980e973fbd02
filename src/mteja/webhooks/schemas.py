"""Webhook endpoints and delivery attempts on the wire."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints, field_validator

from mteja.core.etags import version_etag
from mteja.core.ids import id_pattern
from mteja.core.listing import STATUS_DESCRIPTION, ListQuery, statuses_of, statuses_pattern
from mteja.core.schemas import InputModel, OutputModel, not_null, optional
from mteja.core.time import format_timestamp
from mteja.core.validation import (
    STORABLE_TEXT_PATTERN,
    alternatives,
    documented,
    storable_text,
)
from mteja.db.sql import Record
from mteja.events.schemas import EVENT_TYPES
from mteja.webhooks.tables import ENDPOINT_STATUSES
from mteja.webhooks.targets import MAX_URL_LENGTH

EndpointStatus = Literal["enabled", "disabled"]
MAX_ENABLED_EVENTS = 100
ALL_EVENTS = "*"


def _event_pattern(value: str) -> str:
    """One type, one ``resource.*`` wildcard or ``*``, written exactly (no commas or spaces:
    a pattern that could never match is refused, not stored)."""
    if value == ALL_EVENTS or value in EVENT_TYPES:
        return value
    if value.endswith(".*") and any(kind.startswith(value[:-1]) for kind in EVENT_TYPES):
        return value
    raise ValueError("must be an event type, a resource.* wildcard such as customer.*, or *")


def _storable(value: str | None) -> str | None:
    return None if value is None else storable_text(value)


def _distinct(patterns: list[str]) -> list[str]:
    if not patterns:
        raise ValueError("must list at least one event type")
    return list(dict.fromkeys(patterns))


_WILDCARDS = sorted({kind.split(".")[0] + ".*" for kind in EVENT_TYPES})
EVENT_PATTERN = "^" + alternatives([ALL_EVENTS, *EVENT_TYPES, *_WILDCARDS]) + "$"
EventPattern = Annotated[
    str,
    StringConstraints(max_length=64),
    AfterValidator(_event_pattern),
    documented(pattern=EVENT_PATTERN),
]
EnabledEvents = Annotated[
    list[EventPattern],
    Field(max_length=MAX_ENABLED_EVENTS),
    AfterValidator(_distinct),
    documented(minItems=1),
]
# The http(s) URLs ``targets.parse_target`` accepts, in a shape a schema can state: a host
# name (or IPv4 address), an optional port from 1 to 65535, a path and a query without
# escapes. Whether the host is public is checked against DNS, beyond any schema.
_PORT = r"(?::(?:[1-9]\d{0,3}|[1-5]\d{4}|6[0-4]\d{3}|65[0-4]\d{2}|655[0-2]\d|6553[0-5]))?"
URL_PATTERN = (
    r"^[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z][A-Za-z0-9-]{0,62}(?:\.[A-Za-z][A-Za-z0-9-]{0,62})*"
    + _PORT
    + r"(?:/[A-Za-z0-9._~!$&'()*+,;=:@/-]*)?(?:\?[A-Za-z0-9._~!$&'()*+,;=:@/?-]*)?$"
)
Url = Annotated[
    str,
    StringConstraints(max_length=MAX_URL_LENGTH),
    AfterValidator(storable_text),
    documented(pattern=URL_PATTERN, format="uri"),
]
Description = Annotated[
    str,
    StringConstraints(max_length=500),
    AfterValidator(storable_text),
    documented(pattern=STORABLE_TEXT_PATTERN),
]

_EVENTS_DESCRIPTION = (
    "Event types to send: exact types, `resource.*` wildcards (`customer.*`) or `*` for all."
)


class WebhookEndpointCreate(InputModel):
    url: Url = Field(examples=["https://duka.example/webhooks/mteja"])
    enabled_events: EnabledEvents = Field(
        examples=[["customer.*", "payment_method.created"]], description=_EVENTS_DESCRIPTION
    )
    description: Description | None = Field(default=None, examples=["Sync to the CRM"])


class WebhookEndpointUpdate(InputModel):
    url: Url = optional()
    enabled_events: EnabledEvents = optional()
    status: EndpointStatus = optional()
    description: Description | None = optional()

    _not_null = field_validator("url", "enabled_events", "status", mode="before")(not_null)


class WebhookEndpointOut(OutputModel):
    id: str = Field(examples=["we_01h3vjs3b16yc3f9q8q9pfrb78"])
    url: str
    description: str | None
    enabled_events: list[str]
    status: EndpointStatus
    created_at: AwareDatetime = Field(examples=["2024-08-26T12:15:00.000Z"])
    updated_at: AwareDatetime = Field(examples=["2024-08-26T12:15:00.000Z"])


class WebhookEndpointCreatedOut(WebhookEndpointOut):
    secret: str = Field(
        description="Signs every delivery; returned only in this response.",
        examples=["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
    )


def render_endpoint(row: Record | Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "url": row["url"],
        "description": row["description"],
        "enabled_events": row["enabled_events"],
        "status": row["status"],
        "created_at": format_timestamp(row["created_at"]),
        "updated_at": format_timestamp(row["updated_at"]),
    }


def render_created_endpoint(row: Record | Mapping[str, Any]) -> dict[str, Any]:
    return {**render_endpoint(row), "secret": row["secret"]}


endpoint_etag = version_etag


class WebhookEndpointListParams(ListQuery):
    cursor_prefixes = ("we",)

    status: Annotated[
        str | None, statuses_of(ENDPOINT_STATUSES), statuses_pattern(ENDPOINT_STATUSES)
    ] = Field(default=None, max_length=32, description=STATUS_DESCRIPTION)


class RedeliverRequest(InputModel):
    webhook_endpoint_id: Annotated[str, documented(pattern=id_pattern("we"))] | None = Field(
        default=None,
        max_length=64,
        description="Send to this endpoint only; by default, to every enabled endpoint "
        "that subscribes to the event's type.",
    )


class RedeliveryOut(OutputModel):
    event_id: str = Field(examples=["evt_01h3vjs3b16yc3f9q8q9pfrb78"])
    webhook_endpoint_ids: list[str] = Field(description="The endpoints it was queued for.")


class DeliveryOut(OutputModel):
    id: str = Field(examples=["wd_01h3vjs3b16yc3f9q8q9pfrb78"])
    webhook_endpoint_id: str
    event_id: str
    event_type: str = Field(examples=["customer.created"])
    attempt: int = Field(description="1 for the first try of a delivery, then 2, 3, …")
    succeeded: bool
    status_code: int | None = Field(description="The endpoint's HTTP status, if it answered.")
    error: str | None = Field(
        description="Why no HTTP status was received (timeout, connection failed, …)."
    )
    duration_ms: int
    created_at: AwareDatetime = Field(examples=["2024-08-26T12:15:00.000Z"])


def render_delivery(row: Record) -> dict[str, Any]:
    status_code = row["status_code"]
    return {
        "id": row["id"],
        "webhook_endpoint_id": row["endpoint_id"],
        "event_id": row["event_id"],
        "event_type": row["event_type"],
        "attempt": row["attempt"],
        "succeeded": status_code is not None and 200 <= status_code < 300,
        "status_code": status_code,
        "error": row["error"],
        "duration_ms": row["duration_ms"],
        "created_at": format_timestamp(row["created_at"]),
    }


class DeliveryListParams(ListQuery):
    cursor_prefixes = ("wd",)

    event_id: Annotated[
        str | None, AfterValidator(_storable), documented(pattern=STORABLE_TEXT_PATTERN)
    ] = Field(default=None, max_length=64, description="Only the attempts to deliver this event.")
