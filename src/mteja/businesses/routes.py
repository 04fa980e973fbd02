"""Business routes, under their customer."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from mteja.api.deps import Ctx, IfMatch, context_of
from mteja.api.query import parse_query, query_parameters
from mteja.api.responses import list_response, object_response
from mteja.businesses.schemas import (
    BusinessCreate,
    BusinessListParams,
    BusinessOut,
    BusinessUpdate,
    business_etag,
    render_business,
)
from mteja.businesses.service import BusinessService
from mteja.businesses.tables import BUSINESS_STATUSES
from mteja.core.paging import parse_statuses
from mteja.core.schemas import ListOf

router = APIRouter(prefix="/api/v1/customers/{customer_id}/businesses", tags=["businesses"])


@router.post("", status_code=201, response_model=BusinessOut)
async def create_business(customer_id: str, body: BusinessCreate, ctx: Ctx) -> Response:
    """Add a business (B2B) to a customer."""
    row = await BusinessService(ctx.db, ctx.account_id).create(customer_id, body)
    return object_response(render_business(row), etag=business_etag(row), status=201)


@router.get("/{business_id}", response_model=BusinessOut)
async def get_business(customer_id: str, business_id: str, ctx: Ctx) -> Response:
    """Retrieve one of a customer's businesses."""
    row = await BusinessService(ctx.db, ctx.account_id).get(customer_id, business_id)
    return object_response(render_business(row), etag=business_etag(row))


@router.patch("/{business_id}", response_model=BusinessOut)
async def update_business(
    customer_id: str, business_id: str, body: BusinessUpdate, ctx: Ctx, if_match: IfMatch = None
) -> Response:
    """Update a business; `status: archived` archives it (there is no delete)."""
    row = await BusinessService(ctx.db, ctx.account_id).update(
        customer_id, business_id, body, if_match=if_match
    )
    return object_response(render_business(row), etag=business_etag(row))


@router.get(
    "",
    response_model=ListOf[BusinessOut],
    openapi_extra={"parameters": query_parameters(BusinessListParams)},
)
async def list_businesses(customer_id: str, request: Request) -> Response:
    """List a customer's businesses, newest first."""
    query = parse_query(request, BusinessListParams)
    ctx = context_of(request)
    page = await BusinessService(ctx.db, ctx.account_id).list(
        customer_id, parse_statuses(query.status, BUSINESS_STATUSES), query.window("biz")
    )
    return list_response(page, render_business)
