"""Event routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import AfterValidator
from starlette.responses import Response

from mteja.api.deps import Ctx
from mteja.api.query import Paging, reject_unknown
from mteja.api.responses import json_response, list_response
from mteja.core.schemas import ListOf
from mteja.events.schemas import EventOut, render_event
from mteja.events.service import EventService, parse_event_types


def _types(value: str | None) -> str | None:
    parse_event_types(value)
    return value


router = APIRouter(prefix="/api/v1/events", tags=["events"])


@router.get("", response_model=ListOf[EventOut])
async def list_events(
    request: Request,
    ctx: Ctx,
    paging: Paging,
    type: Annotated[
        str | None,
        Query(
            max_length=512,
            description="Comma list of event types; `customer.*` matches every customer event.",
        ),
        AfterValidator(_types),
    ] = None,
) -> Response:
    """List events, newest first."""
    reject_unknown(request, ("type",))
    window = paging.window("evt")
    page = await EventService(ctx.db, ctx.account_id).list(parse_event_types(type), window)
    return list_response(page, render_event)


@router.get("/{event_id}", response_model=EventOut)
async def get_event(event_id: str, ctx: Ctx) -> Response:
    """Retrieve an event."""
    row = await EventService(ctx.db, ctx.account_id).get(event_id)
    return json_response(render_event(row))
