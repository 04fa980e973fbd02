"""Webhook endpoint routes, their delivery attempts, and event redelivery."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Request
from starlette.responses import Response

from mteja.api.deps import IfMatch, context_of
from mteja.api.query import parse_query, query_parameters
from mteja.api.responses import json_response, list_response, object_response
from mteja.core.paging import parse_statuses
from mteja.core.schemas import DeletedOut, ListOf
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
from mteja.webhooks.service import WebhookEndpointService
from mteja.webhooks.tables import ENDPOINT_STATUSES


def webhook_service(request: Request) -> WebhookEndpointService:
    ctx = context_of(request)
    settings = request.app.state.settings
    return WebhookEndpointService(
        ctx.db, ctx.account_id, allow_private_targets=settings.webhook_allow_private_targets
    )


Service = Annotated[WebhookEndpointService, Depends(webhook_service)]

router = APIRouter(prefix="/api/v1/webhook_endpoints", tags=["webhooks"])


@router.post("", status_code=201, response_model=WebhookEndpointCreatedOut)
async def create_webhook_endpoint(body: WebhookEndpointCreate, service: Service) -> Response:
    """Subscribe a URL to events. The response holds the signing `secret`, shown only here."""
    row = await service.create(body)
    return object_response(render_created_endpoint(row), etag=endpoint_etag(row), status=201)


@router.get(
    "",
    response_model=ListOf[WebhookEndpointOut],
    openapi_extra={"parameters": query_parameters(WebhookEndpointListParams)},
)
async def list_webhook_endpoints(request: Request, service: Service) -> Response:
    """List webhook endpoints, newest first."""
    query = parse_query(request, WebhookEndpointListParams)
    page = await service.list(parse_statuses(query.status, ENDPOINT_STATUSES), query.window("we"))
    return list_response(page, render_endpoint)


@router.get("/{endpoint_id}", response_model=WebhookEndpointOut)
async def get_webhook_endpoint(endpoint_id: str, service: Service) -> Response:
    """Retrieve a webhook endpoint (without its secret)."""
    row = await service.get(endpoint_id)
    return object_response(render_endpoint(row), etag=endpoint_etag(row))


@router.patch("/{endpoint_id}", response_model=WebhookEndpointOut)
async def update_webhook_endpoint(
    endpoint_id: str, body: WebhookEndpointUpdate, service: Service, if_match: IfMatch = None
) -> Response:
    """Change the URL, the events, the description, or `status` (`enabled`|`disabled`)."""
    row = await service.update(endpoint_id, body, if_match=if_match)
    return object_response(render_endpoint(row), etag=endpoint_etag(row))


@router.delete("/{endpoint_id}", response_model=DeletedOut)
async def delete_webhook_endpoint(
    endpoint_id: str, service: Service, if_match: IfMatch = None
) -> Response:
    """Delete a webhook endpoint, with its pending deliveries and their history."""
    await service.delete(endpoint_id, if_match=if_match)
    return json_response({"id": endpoint_id, "deleted": True})


@router.get(
    "/{endpoint_id}/deliveries",
    response_model=ListOf[DeliveryOut],
    openapi_extra={"parameters": query_parameters(DeliveryListParams)},
)
async def list_deliveries(endpoint_id: str, request: Request, service: Service) -> Response:
    """List the delivery attempts to this endpoint, newest first."""
    query = parse_query(request, DeliveryListParams)
    page = await service.deliveries(endpoint_id, query.event_id, query.window("wd"))
    return list_response(page, render_delivery)


redeliver_router = APIRouter(prefix="/api/v1/events", tags=["events"])


@redeliver_router.post("/{event_id}/redeliver", status_code=202, response_model=RedeliveryOut)
async def redeliver_event(
    event_id: str,
    service: Service,
    body: Annotated[RedeliverRequest | None, Body()] = None,
) -> Response:
    """Queue the event again, due now: to one endpoint, or to every enabled endpoint that
    subscribes to its type. Each gets a fresh round of retries."""
    endpoint_id = body.webhook_endpoint_id if body is not None else None
    targets = await service.redeliver(event_id, endpoint_id)
    return json_response({"event_id": event_id, "webhook_endpoint_ids": targets}, status=202)
