"""Payment method routes, under their customer. No card number ever gets past them."""

from __future__ import annotations

from urllib.parse import unquote_plus

import orjson
from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from mteja.api.deps import Ctx, IfMatch, context_of
from mteja.api.query import parse_query, query_parameters
from mteja.api.responses import json_response, list_response, object_response
from mteja.core.errors import PanNotAllowed
from mteja.core.paging import parse_statuses
from mteja.core.pan import contains_pan
from mteja.core.schemas import DeletedOut, ListOf
from mteja.payment_methods.schemas import (
    PaymentMethodCreate,
    PaymentMethodListParams,
    PaymentMethodOut,
    PaymentMethodUpdate,
    payment_method_etag,
    render_payment_method,
)
from mteja.payment_methods.service import PaymentMethodService
from mteja.payment_methods.tables import PAYMENT_METHOD_STATUSES


async def refuse_card_numbers(request: Request) -> None:
    """Runs before body validation, so a card number never reaches a model, an error
    message, a log line or the database."""
    if contains_pan([unquote_plus(request.url.path), unquote_plus(request.url.query)]):
        raise PanNotAllowed()
    body = await request.body()
    if not body:
        return
    # The raw text too: a 17–19 digit number loses digits once parsed as a JSON number.
    if contains_pan(body.decode("utf-8", errors="replace")):
        raise PanNotAllowed()
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        return  # not JSON: FastAPI answers 400 without echoing any of it
    if contains_pan(document):
        raise PanNotAllowed()


router = APIRouter(
    prefix="/api/v1/customers/{customer_id}/payment_methods",
    tags=["payment methods"],
    dependencies=[Depends(refuse_card_numbers)],
)


@router.post("", status_code=201, response_model=PaymentMethodOut)
async def create_payment_method(customer_id: str, body: PaymentMethodCreate, ctx: Ctx) -> Response:
    """Attach a payment method; `set_default: true` also makes it the customer's."""
    row = await PaymentMethodService(ctx.db, ctx.account_id).create(customer_id, body)
    return object_response(render_payment_method(row), etag=payment_method_etag(row), status=201)


@router.get("/{payment_method_id}", response_model=PaymentMethodOut)
async def get_payment_method(customer_id: str, payment_method_id: str, ctx: Ctx) -> Response:
    """Retrieve one of a customer's payment methods."""
    row = await PaymentMethodService(ctx.db, ctx.account_id).get(customer_id, payment_method_id)
    return object_response(render_payment_method(row), etag=payment_method_etag(row))


@router.patch("/{payment_method_id}", response_model=PaymentMethodOut)
async def update_payment_method(
    customer_id: str,
    payment_method_id: str,
    body: PaymentMethodUpdate,
    ctx: Ctx,
    if_match: IfMatch = None,
) -> Response:
    """Change `custom_data`, or revoke with `status: revoked`."""
    row = await PaymentMethodService(ctx.db, ctx.account_id).update(
        customer_id, payment_method_id, body, if_match=if_match
    )
    return object_response(render_payment_method(row), etag=payment_method_etag(row))


@router.delete("/{payment_method_id}", response_model=DeletedOut)
async def delete_payment_method(
    customer_id: str, payment_method_id: str, ctx: Ctx, if_match: IfMatch = None
) -> Response:
    """Delete a payment method; if it was the customer's default, that becomes null."""
    await PaymentMethodService(ctx.db, ctx.account_id).delete(
        customer_id, payment_method_id, if_match=if_match
    )
    return json_response({"id": payment_method_id, "deleted": True})


@router.get(
    "",
    response_model=ListOf[PaymentMethodOut],
    openapi_extra={"parameters": query_parameters(PaymentMethodListParams)},
)
async def list_payment_methods(customer_id: str, request: Request) -> Response:
    """List a customer's payment methods, newest first."""
    query = parse_query(request, PaymentMethodListParams)
    ctx = context_of(request)
    page = await PaymentMethodService(ctx.db, ctx.account_id).list(
        customer_id,
        parse_statuses(query.status, PAYMENT_METHOD_STATUSES),
        query.window("momo", "card", "ba"),
    )
    return list_response(page, render_payment_method)
