"""Customer routes: authenticate, parse, one service call, render."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from mteja.api.deps import Ctx, IfMatch, context_of
from mteja.api.query import bracketed, parse_query, query_parameters
from mteja.api.responses import json_response, list_response, object_response
from mteja.core.schemas import DeletedOut, ListOf
from mteja.customers.schemas import (
    CustomerCreate,
    CustomerListParams,
    CustomerOut,
    CustomerUpdate,
    customer_etag,
    render_customer,
)
from mteja.customers.service import CustomerService, parse_list_query

router = APIRouter(prefix="/api/v1/customers", tags=["customers"])

_FILTERS = ("status", "email", "search")


@router.post("", status_code=201, response_model=CustomerOut)
async def create_customer(body: CustomerCreate, request: Request) -> Response:
    """Create a customer."""
    ctx = context_of(request)
    row = await CustomerService(ctx.db, ctx.account_id).create(body)
    return object_response(render_customer(row), etag=customer_etag(row), status=201)


_IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "The ETag you hold: 304 when the customer has not changed.",
    "schema": {"type": "string"},
}


# The hot reads take ``request`` rather than dependencies: each dependency costs as much
# as a tenth of the whole request here (see docs/performance.md).
@router.get(
    "/{customer_id}", response_model=CustomerOut, openapi_extra={"parameters": [_IF_NONE_MATCH]}
)
async def get_customer(customer_id: str, request: Request) -> Response:
    """Retrieve a customer."""
    ctx = context_of(request)
    row = await CustomerService(ctx.db, ctx.account_id).get(customer_id)
    etag = customer_etag(row)
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None and etag in (tag.strip() for tag in if_none_match.split(",")):
        return Response(status_code=304, headers={"ETag": etag})
    return object_response(render_customer(row), etag=etag)


@router.patch("/{customer_id}", response_model=CustomerOut)
async def update_customer(
    customer_id: str, body: CustomerUpdate, ctx: Ctx, if_match: IfMatch = None
) -> Response:
    """Update a customer: only the fields sent change; null clears a nullable field."""
    row = await CustomerService(ctx.db, ctx.account_id).update(customer_id, body, if_match=if_match)
    return object_response(render_customer(row), etag=customer_etag(row))


@router.delete("/{customer_id}", response_model=DeletedOut)
async def delete_customer(customer_id: str, ctx: Ctx, if_match: IfMatch = None) -> Response:
    """Delete a customer, with its addresses, businesses and payment methods."""
    await CustomerService(ctx.db, ctx.account_id).delete(customer_id, if_match=if_match)
    return json_response({"id": customer_id, "deleted": True})


_CUSTOM_DATA_FILTER = {
    "name": "custom_data",
    "in": "query",
    "style": "deepObject",
    "explode": True,
    "required": False,
    "description": "`custom_data[KEY]=VALUE`: exact match on a top-level string.",
    "schema": {"type": "object", "additionalProperties": {"type": "string"}},
}


@router.get(
    "",
    response_model=ListOf[CustomerOut],
    openapi_extra={"parameters": [*query_parameters(CustomerListParams), _CUSTOM_DATA_FILTER]},
)
async def list_customers(request: Request) -> Response:
    """List customers, newest first."""
    params = parse_query(request, CustomerListParams, open_prefixes=("custom_data[",))
    query = parse_list_query(
        status=params.status,
        email=params.email,
        search=params.search,
        custom_data=bracketed(request, "custom_data"),
    )
    ctx = context_of(request)
    page = await CustomerService(ctx.db, ctx.account_id).list(query, params.window("cus"))
    return list_response(page, render_customer)
