"""Event routes."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field
from starlette.responses import Response

from mteja.core.listing import ListQuery
from mteja.core.schemas import ListOf
from mteja.events.schemas import EventOut, render_event
from mteja.events.service import EventNotFound, EventService, parse_event_types
from mteja.kit.http.context import Ctx
from mteja.kit.http.errors import INVALID, errors_for
from mteja.kit.http.query import parse_query, query_parameters
from mteja.kit.http.responses import json_response, list_response
from mteja.kit.http.routing import api_router


def _types(value: str | None) -> str | None:
    parse_event_types(value)
    return value


class EventListParams(ListQuery):
    type: Annotated[str | None, AfterValidator(_types)] = Field(
        default=None,
        max_length=512,
        description="Comma list of event types; `customer.*` matches every customer event.",
    )


router = api_router("/api/v1/events", "events")


@router.get(
    "",
    response_model=ListOf[EventOut],
    responses=errors_for(*INVALID),
    openapi_extra={"parameters": query_parameters(EventListParams)},
)
async def list_events(ctx: Ctx) -> Response:
    """List events, newest first."""
    params = parse_query(ctx.request, EventListParams)
    page = await EventService(ctx.uow, ctx.caller).list(
        parse_event_types(params.type), params.window("evt")
    )
    return list_response(page, render_event)


@router.get("/{event_id}", response_model=EventOut, responses=errors_for(EventNotFound))
async def get_event(event_id: str, ctx: Ctx) -> Response:
    """Retrieve an event."""
    row = await EventService(ctx.uow, ctx.caller).get(event_id)
    return json_response(render_event(row))
