"""Event routes."""

from __future__ import annotations

from starlette.responses import Response

from mteja.core.schemas import ListOf
from mteja.events.schemas import EventListOfAnyParams, EventOut, parse_event_types, render_event
from mteja.events.service import EventNotFound, EventService
from mteja.kit.http.context import Ctx
from mteja.kit.http.errors import INVALID, errors_for
from mteja.kit.http.query import parse_query, query_parameters
from mteja.kit.http.responses import json_response, list_response
from mteja.kit.http.routing import api_router

router = api_router("/api/v1/events", "events")


@router.get(
    "",
    response_model=ListOf[EventOut],
    responses=errors_for(*INVALID),
    openapi_extra={"parameters": query_parameters(EventListOfAnyParams)},
)
async def list_events(ctx: Ctx) -> Response:
    """List events, newest first."""
    params = parse_query(ctx.request, EventListOfAnyParams)
    page = await EventService(ctx.uow, ctx.caller).list(
        parse_event_types(params.type), params.window(), customer_id=params.customer
    )
    return list_response(page, render_event)


@router.get("/{event_id}", response_model=EventOut, responses=errors_for(EventNotFound))
async def get_event(event_id: str, ctx: Ctx) -> Response:
    """Retrieve an event."""
    row = await EventService(ctx.uow, ctx.caller).get(event_id)
    return json_response(render_event(row))
