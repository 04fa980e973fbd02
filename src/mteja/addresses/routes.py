"""Address routes, under their customer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from starlette.responses import Response

from mteja.addresses.schemas import (
    AddressCreate,
    AddressOut,
    AddressUpdate,
    address_etag,
    render_address,
)
from mteja.addresses.service import AddressService
from mteja.addresses.tables import ADDRESS_STATUSES
from mteja.api.deps import Ctx, IfMatch
from mteja.api.query import Paging, StatusQuery, reject_unknown, statuses_of
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


@router.get("", response_model=ListOf[AddressOut])
async def list_addresses(
    customer_id: str,
    request: Request,
    ctx: Ctx,
    paging: Paging,
    status: Annotated[str | None, StatusQuery, statuses_of(ADDRESS_STATUSES)] = None,
) -> Response:
    """List a customer's addresses, newest first."""
    reject_unknown(request, ("status",))
    window = paging.window("add")
    statuses = parse_statuses(status, ADDRESS_STATUSES)
    page = await AddressService(ctx.db, ctx.account_id).list(customer_id, statuses, window)
    return list_response(page, render_address)
