"""Address routes, under their customer."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from mteja.addresses.schemas import (
    AddressCreate,
    AddressListParams,
    AddressOut,
    AddressUpdate,
    address_etag,
    render_address,
)
from mteja.addresses.service import AddressService
from mteja.addresses.tables import ADDRESS_STATUSES
from mteja.api.deps import Ctx, IfMatch, context_of
from mteja.api.query import parse_query, query_parameters
from mteja.api.responses import list_response, object_response
from mteja.core.paging import parse_statuses
from mteja.core.schemas import ListOf

router = APIRouter(prefix="/api/v1/customers/{customer_id}/addresses", tags=["addresses"])


@router.post("", status_code=201, response_model=AddressOut)
async def create_address(customer_id: str, body: AddressCreate, ctx: Ctx) -> Response:
    """Add a billing address to a customer; `default: true` makes it the customer's address."""
    row = await AddressService(ctx.db, ctx.account_id).create(customer_id, body)
    return object_response(render_address(row), etag=address_etag(row), status=201)


@router.get("/{address_id}", response_model=AddressOut)
async def get_address(customer_id: str, address_id: str, ctx: Ctx) -> Response:
    """Retrieve one of a customer's addresses."""
    row = await AddressService(ctx.db, ctx.account_id).get(customer_id, address_id)
    return object_response(render_address(row), etag=address_etag(row))


@router.patch("/{address_id}", response_model=AddressOut)
async def update_address(
    customer_id: str, address_id: str, body: AddressUpdate, ctx: Ctx, if_match: IfMatch = None
) -> Response:
    """Update an address; `status: archived` archives it, `default` moves the default."""
    row = await AddressService(ctx.db, ctx.account_id).update(
        customer_id, address_id, body, if_match=if_match
    )
    return object_response(render_address(row), etag=address_etag(row))


@router.get(
    "",
    response_model=ListOf[AddressOut],
    openapi_extra={"parameters": query_parameters(AddressListParams)},
)
async def list_addresses(customer_id: str, request: Request) -> Response:
    """List a customer's addresses, newest first."""
    query = parse_query(request, AddressListParams)
    ctx = context_of(request)
    page = await AddressService(ctx.db, ctx.account_id).list(
        customer_id, parse_statuses(query.status, ADDRESS_STATUSES), query.window("add")
    )
    return list_response(page, render_address)
