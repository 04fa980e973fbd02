"""Payment method routes, under their customer. No card number ever gets past them."""

from __future__ import annotations

from urllib.parse import unquote_plus

import orjson
from fastapi import Depends, Request
from starlette.responses import Response

from mteja.core.errors import PanNotAllowed
from mteja.core.pan import contains_pan
from mteja.core.schemas import DeletedOut
from mteja.customers.errors import CustomerNotFound
from mteja.customers.payment_methods.schemas import (
    PaymentMethodCreate,
    PaymentMethodListParams,
    PaymentMethodOut,
    PaymentMethodUpdate,
    payment_method_etag,
    render_payment_method,
)
from mteja.customers.payment_methods.service import PaymentMethodNotFound, PaymentMethodService
from mteja.customers.payment_methods.tables import PAYMENT_METHOD_STATUSES, PAYMENT_METHOD_TYPES
from mteja.kit.http.context import Ctx, IfMatch
from mteja.kit.http.errors import BODY, CONDITIONAL, errors_for
from mteja.kit.http.responses import json_response
from mteja.kit.http.routing import OwnedResource, owned_resource_router


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


router = owned_resource_router(
    OwnedResource(
        path="/api/v1/customers/{customer_id}/payment_methods",
        tag="payment methods",
        singular="payment_method",
        plural="payment_methods",
        parent_param="customer_id",
        id_param="payment_method_id",
        id_prefixes=tuple(PAYMENT_METHOD_TYPES.values()),
        statuses=PAYMENT_METHOD_STATUSES,
        service=PaymentMethodService,
        create_body=PaymentMethodCreate,
        update_body=PaymentMethodUpdate,
        list_params=PaymentMethodListParams,
        out=PaymentMethodOut,
        render=render_payment_method,
        etag=payment_method_etag,
        parent_not_found=CustomerNotFound,
        docs={
            "create": "Attach a payment method; `set_default: true` also makes it the customer's.",
            "get": "Retrieve one of a customer's payment methods.",
            "update": "Change `custom_data`, or revoke with `status: revoked`.",
            "list": "List a customer's payment methods, newest first.",
        },
    ),
    dependencies=[Depends(refuse_card_numbers)],
    errors=[PanNotAllowed],
)


@router.delete(
    "/{payment_method_id}",
    response_model=DeletedOut,
    responses=errors_for(*BODY, *CONDITIONAL, CustomerNotFound, PaymentMethodNotFound),
)
async def delete_payment_method(
    customer_id: str, payment_method_id: str, ctx: Ctx, if_match: IfMatch = None
) -> Response:
    """Delete a payment method; if it was the customer's default, that becomes null."""
    await PaymentMethodService(ctx.uow, ctx.caller).delete(
        customer_id, payment_method_id, if_match=if_match
    )
    return json_response({"id": payment_method_id, "deleted": True})
