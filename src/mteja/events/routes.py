"""Event routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import AfterValidator, Field
from starlette.responses import Response

from mteja.api.deps import Ctx, context_of
from mteja.api.query import parse_query, query_parameters
from mteja.api.responses import json_response, list_response
from mteja.core.listing import ListQuery
from mteja.core.schemas import ListOf
from mteja.events.schemas import EventOut, render_event
from mteja.events.service import EventService, parse_event_types


def _types(value: str | None) -> str | None:
    parse_event_types(value)
    return value


class EventListParams(ListQuery):
    type: Annotated[str | None, AfterValidator(_types)] = Field(
        default=None,
        max_length=512,
        description="Comma list of event types; `customer.*` matches every customer event.",
    )


router = APIRouter(prefix="/api/v1/events", tags=["events"])


@router.get(
    "",
    response_model=ListOf[EventOut],
    openapi_extra={"parameters": query_parameters(EventListParams)},
)
async def list_events(request: Request) -> Response:
    """List events, newest first."""
    params = parse_query(request, EventListParams)
    ctx = context_of(request)
    page = await EventService(ctx.db, ctx.account_id).list(
        parse_event_types(params.type), params.window("evt")
    )
    return list_response(page, render_event)


@router.get("/{event_id}", response_model=EventOut)
async def get_event(event_id: str, ctx: Ctx) -> Response:
    """Retrieve an event."""
    row = await EventService(ctx.db, ctx.account_id).get(event_id)
    return json_response(render_event(row))
