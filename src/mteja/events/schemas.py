"""Events on the wire."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, Field

from mteja.core.ids import id_pattern, is_valid_id
from mteja.core.listing import ListQuery, comma_list_pattern
from mteja.core.schemas import OutputModel
from mteja.core.validation import documented
from mteja.events.tables import events
from mteja.kit.render import row_renderer

# Every type of event there is: the vocabulary of ``type`` filters and subscriptions.
EVENT_TYPES = (
    "customer.created",
    "customer.updated",
    "customer.deleted",
    "customer.merged",
    "customer.redacted",
    "address.created",
    "address.updated",
    "business.created",
    "business.updated",
    "payment_method.created",
    "payment_method.updated",
    "payment_method.deleted",
    "webhook_endpoint.disabled",
)


def parse_event_types(value: str | None) -> tuple[str, ...]:
    """``customer.created,address.*``: exact types and ``resource.*`` wildcards; ValueError
    for anything else."""
    if value is None:
        return ()
    selected: dict[str, None] = {}
    for part in (piece.strip() for piece in value.split(",")):
        if part.endswith(".*"):
            matching = [kind for kind in EVENT_TYPES if kind.startswith(part[:-1])]
        else:
            matching = [part] if part in EVENT_TYPES else []
        if not matching:
            raise ValueError("each must be an event type or a resource.* wildcard")
        selected.update(dict.fromkeys(matching))
    return tuple(selected)


def _types(value: str | None) -> str | None:
    parse_event_types(value)
    return value


def _customer(value: str | None) -> str | None:
    if value is not None and not is_valid_id(value, "cus"):
        raise ValueError("not a customer id (cus_…)")
    return value


_WILDCARDS = sorted({kind.split(".")[0] + ".*" for kind in EVENT_TYPES})


class EventListParams(ListQuery):
    cursor_prefixes = ("evt",)

    type: Annotated[
        str | None,
        AfterValidator(_types),
        documented(pattern=comma_list_pattern([*EVENT_TYPES, *_WILDCARDS])),
    ] = Field(
        default=None,
        max_length=512,
        description="Comma list of event types; `customer.*` matches every customer event.",
    )


class EventListOfAnyParams(EventListParams):
    customer: Annotated[
        str | None, AfterValidator(_customer), documented(pattern=id_pattern("cus"))
    ] = Field(
        default=None,
        max_length=64,
        description="Only the events about this customer and its sub-resources (a deleted "
        "customer's too); a customer the key cannot see gives an empty list.",
    )


class EventData(OutputModel):
    object: dict[str, Any] = Field(description="The object after the change (before, if deleted).")
    previous_attributes: dict[str, Any] | None = Field(
        description="On *.updated: the fields that changed, with their old values."
    )


class EventActor(OutputModel):
    type: Literal["api_key", "dashboard", "portal", "system"] = Field(
        description="Who made the change: an API key, the dashboard (signed in with a key), "
        "the customer's portal, or mteja itself (retention, the webhook worker)."
    )
    id: str | None = Field(
        description="The API key (`key_…`, for the dashboard too) or portal session (`ps_…`); "
        "null for the system.",
        examples=["key_01h3vjs3b16yc3f9q8q9pfrb78"],
    )


class EventOut(OutputModel):
    id: str = Field(examples=["evt_01h3vjs3b16yc3f9q8q9pfrb78"])
    type: str = Field(examples=["customer.updated"])
    created_at: AwareDatetime
    livemode: bool = Field(description="The mode of the key that caused it (false: test).")
    request_id: str | None = Field(
        description="The request that caused it (`req_…`), or null.",
        examples=["req_01h3vjs3b16yc3f9q8q9pfrb78"],
    )
    actor: EventActor
    data: EventData


render_event = row_renderer(
    EventOut,
    events,
    computed={"actor": lambda row: {"type": row["actor_type"], "id": row["actor_id"]}},
)
