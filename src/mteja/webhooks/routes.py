"""Webhook endpoint routes, their delivery attempts, and event redelivery."""

from __future__ import annotations

from typing import Annotated

from fastapi import Body
from starlette.responses import Response

from mteja.core.errors import InvalidRequest
from mteja.core.paging import parse_statuses
from mteja.core.schemas import DeletedOut, ListOf
from mteja.events.service import EventNotFound
from mteja.kit.http.context import Ctx, IfMatch
from mteja.kit.http.errors import BODY, CONDITIONAL, IDEMPOTENT, INVALID, errors_for
from mteja.kit.http.openapi import idempotent
from mteja.kit.http.query import parse_query, query_parameters
from mteja.kit.http.responses import json_response, list_response, object_response
from mteja.kit.http.routing import api_router
from mteja.webhooks.schemas import (
    DeliveryListParams,
    DeliveryOut,
    RedeliverRequest,
    RedeliveryOut,
    WebhookEndpointCreate,
    WebhookEndpointCreatedOut,
    WebhookEndpointListParams,
    WebhookEndpointOut,
    WebhookEndpointUpdate,
    endpoint_etag,
    render_created_endpoint,
    render_delivery,
    render_endpoint,
)
from mteja.webhooks.service import WebhookEndpointNotFound, WebhookEndpointService
from mteja.webhooks.tables import ENDPOINT_STATUSES


def _service(ctx: Ctx) -> WebhookEndpointService:
    allow_private = ctx.settings.webhook_allow_private_targets
    return WebhookEndpointService(ctx.uow, ctx.caller, allow_private_targets=allow_private)


router = api_router("/api/v1/webhook_endpoints", "webhooks")


@router.post(
    "",
    status_code=201,
    response_model=WebhookEndpointCreatedOut,
    responses=errors_for(*BODY, *IDEMPOTENT),
    openapi_extra=idempotent(),
)
async def create_webhook_endpoint(body: WebhookEndpointCreate, ctx: Ctx) -> Response:
    """Subscribe a URL to events. The response holds the signing `secret`, shown only here."""
    row = await _service(ctx).create(body)
    return object_response(render_created_endpoint(row), etag=endpoint_etag(row), status=201)


@router.get(
    "",
    response_model=ListOf[WebhookEndpointOut],
    responses=errors_for(*INVALID),
    openapi_extra={"parameters": query_parameters(WebhookEndpointListParams)},
)
async def list_webhook_endpoints(ctx: Ctx) -> Response:
    """List webhook endpoints, newest first."""
    query = parse_query(ctx.request, WebhookEndpointListParams)
    statuses = parse_statuses(query.status, ENDPOINT_STATUSES)
    page = await _service(ctx).list(statuses, query.window())
    return list_response(page, render_endpoint)


@router.get(
    "/{endpoint_id}",
    response_model=WebhookEndpointOut,
    responses=errors_for(WebhookEndpointNotFound),
)
async def get_webhook_endpoint(endpoint_id: str, ctx: Ctx) -> Response:
    """Retrieve a webhook endpoint (without its secret)."""
    row = await _service(ctx).get(endpoint_id)
    return object_response(render_endpoint(row), etag=endpoint_etag(row))


@router.patch(
    "/{endpoint_id}",
    response_model=WebhookEndpointOut,
    responses=errors_for(*BODY, *CONDITIONAL, WebhookEndpointNotFound),
)
async def update_webhook_endpoint(
    endpoint_id: str, body: WebhookEndpointUpdate, ctx: Ctx, if_match: IfMatch = None
) -> Response:
    """Change the URL, the events, the description, or `status` (`enabled`|`disabled`)."""
    row = await _service(ctx).update(endpoint_id, body, if_match=if_match)
    return object_response(render_endpoint(row), etag=endpoint_etag(row))


@router.delete(
    "/{endpoint_id}",
    response_model=DeletedOut,
    responses=errors_for(*BODY, *CONDITIONAL, WebhookEndpointNotFound),
)
async def delete_webhook_endpoint(endpoint_id: str, ctx: Ctx, if_match: IfMatch = None) -> Response:
    """Delete a webhook endpoint, with its pending deliveries and their history."""
    await _service(ctx).delete(endpoint_id, if_match=if_match)
    return json_response({"id": endpoint_id, "deleted": True})


@router.get(
    "/{endpoint_id}/deliveries",
    response_model=ListOf[DeliveryOut],
    responses=errors_for(*INVALID, WebhookEndpointNotFound),
    openapi_extra={"parameters": query_parameters(DeliveryListParams)},
)
async def list_deliveries(endpoint_id: str, ctx: Ctx) -> Response:
    """List the delivery attempts to this endpoint, newest first."""
    query = parse_query(ctx.request, DeliveryListParams)
    page = await _service(ctx).deliveries(endpoint_id, query.event_id, query.window())
    return list_response(page, render_delivery)


redeliver_router = api_router("/api/v1/events", "events")


@redeliver_router.post(
    "/{event_id}/redeliver",
    status_code=202,
    response_model=RedeliveryOut,
    responses=errors_for(
        *BODY, *IDEMPOTENT, InvalidRequest, EventNotFound, WebhookEndpointNotFound
    ),
    openapi_extra=idempotent(),
)
async def redeliver_event(
    event_id: str, ctx: Ctx, body: Annotated[RedeliverRequest | None, Body()] = None
) -> Response:
    """Queue the event again, due now: to one endpoint, or to every enabled endpoint that
    subscribes to its type. Each gets a fresh round of retries."""
    endpoint_id = body.webhook_endpoint_id if body is not None else None
    targets = await _service(ctx).redeliver(event_id, endpoint_id)
    return json_response({"event_id": event_id, "webhook_endpoint_ids": targets}, status=202)
