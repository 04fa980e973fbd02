"""Payment method routes, under their customer. Card numbers never reach them: the
request pipeline refuses them in every request (``api.guards``)."""

from __future__ import annotations

from starlette.responses import Response

from mteja.core.schemas import DeletedOut
from mteja.customers.errors import CustomerNotFound, CustomerRedacted
from mteja.customers.payment_methods.schemas import (
    PaymentMethodCreate,
    PaymentMethodListParams,
    PaymentMethodOut,
    PaymentMethodUpdate,
    payment_method_etag,
    render_payment_method,
)
from mteja.customers.payment_methods.service import PaymentMethodNotFound, PaymentMethodService
from mteja.customers.payment_methods.tables import PAYMENT_METHOD_STATUSES
from mteja.kit.http.context import Ctx, IfMatch
from mteja.kit.http.errors import BODY, CONDITIONAL, errors_for
from mteja.kit.http.responses import json_response
from mteja.kit.http.routing import OwnedResource, owned_resource_router

router = owned_resource_router(
    OwnedResource(
        path="/api/v1/customers/{customer_id}/payment_methods",
        tag="payment methods",
        singular="payment_method",
        plural="payment_methods",
        parent_param="customer_id",
        id_param="payment_method_id",
        statuses=PAYMENT_METHOD_STATUSES,
        service=PaymentMethodService,
        create_body=PaymentMethodCreate,
        update_body=PaymentMethodUpdate,
        list_params=PaymentMethodListParams,
        out=PaymentMethodOut,
        render=render_payment_method,
        etag=payment_method_etag,
        parent_not_found=CustomerNotFound,
        write_errors=(CustomerRedacted,),
        docs={
            "create": "Attach a payment method; `set_default: true` also makes it the customer's.",
            "get": "Retrieve one of a customer's payment methods.",
            "update": "Change `custom_data`, or revoke with `status: revoked`.",
            "list": "List a customer's payment methods, newest first.",
        },
    ),
)


@router.delete(
    "/{payment_method_id}",
    response_model=DeletedOut,
    responses=errors_for(
        *BODY, *CONDITIONAL, CustomerNotFound, CustomerRedacted, PaymentMethodNotFound
    ),
)
async def delete_payment_method(
    customer_id: str, payment_method_id: str, ctx: Ctx, if_match: IfMatch = None
) -> Response:
    """Delete a payment method; if it was the customer's default, that becomes null."""
    await PaymentMethodService(ctx.uow, ctx.caller).delete(
        customer_id, payment_method_id, if_match=if_match
    )
    return json_response({"id": payment_method_id, "deleted": True})
