"""Customer routes: parse, one service call, render.

Get, list and create are also dispatched by ``api.hot_routes``, which builds the same
``RequestContext`` and calls these very functions.
"""

from __future__ import annotations

from typing import Any

from starlette.convertors import Convertor, register_url_convertor
from starlette.responses import Response, StreamingResponse

from mteja.core.schemas import DeletedOut, ListOf
from mteja.core.validation import STORABLE_TEXT_PATTERN
from mteja.customers.batch import CustomerBatch, ItemResult
from mteja.customers.duplicates import DuplicateFinder
from mteja.customers.errors import CustomerAlreadyExists, CustomerNotFound, CustomerRedacted
from mteja.customers.export import CustomerExport, export_document
from mteja.customers.merge import CustomerMerge
from mteja.customers.redaction import CustomerRedaction
from mteja.customers.schemas import (
    CustomerBatchCreate,
    CustomerBatchOut,
    CustomerCreate,
    CustomerListParams,
    CustomerOut,
    CustomerUpdate,
    DuplicatesOut,
    MergeRequest,
    PersonExportOut,
    customer_etag,
    render_customer,
)
from mteja.customers.service import CustomerService, parse_list_query
from mteja.events.schemas import EventListParams, EventOut, parse_event_types, render_event
from mteja.events.service import EventService
from mteja.kit.http.context import Ctx, IfMatch
from mteja.kit.http.errors import (
    BODY,
    CONDITIONAL,
    IDEMPOTENT,
    INVALID,
    error_body,
    errors_for,
)
from mteja.kit.http.openapi import idempotent
from mteja.kit.http.query import bracketed, parse_query, query_parameters
from mteja.kit.http.responses import json_response, list_response, object_response
from mteja.kit.http.routing import api_router


class _CustomerIdSegment(Convertor[str]):
    """A customer's id in a path, never ``batch``: ``/customers/batch`` is a route of its
    own, so a GET there is a 405 naming POST, not a customer called "batch" not found."""

    regex = "(?!batch$)[^/]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("customer_id", _CustomerIdSegment())

router = api_router("/api/v1/customers", "customers")

_IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "The ETag you hold: 304 when the customer has not changed.",
    "schema": {"type": "string"},
}
_NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified (`If-None-Match`)."}
}
_CUSTOM_DATA_FILTER = {
    "name": "custom_data",
    "in": "query",
    "style": "deepObject",
    "explode": True,
    "required": False,
    "description": "`custom_data[KEY]=VALUE`: exact match on a top-level string.",
    "schema": {
        "type": "object",
        "propertyNames": {"minLength": 1, "maxLength": 40, "pattern": STORABLE_TEXT_PATTERN},
        "additionalProperties": {"type": "string", "pattern": STORABLE_TEXT_PATTERN},
    },
}


@router.post(
    "",
    status_code=201,
    response_model=CustomerOut,
    responses=errors_for(*BODY, *IDEMPOTENT, CustomerAlreadyExists),
    openapi_extra=idempotent(),
)
async def create_customer(body: CustomerCreate, ctx: Ctx) -> Response:
    """Create a customer."""
    row = await CustomerService(ctx.uow, ctx.caller).create(body)
    return object_response(render_customer(row), etag=customer_etag(row), status=201)


@router.post(
    "/batch",
    operation_id="create_customers_batch",
    response_model=CustomerBatchOut,
    responses=errors_for(*BODY, *IDEMPOTENT),
    openapi_extra=idempotent(),
)
async def create_customers_batch(body: CustomerBatchCreate, ctx: Ctx) -> Response:
    """Create up to 100 customers: one result per item, in order, each as if created alone."""
    results = await CustomerBatch(ctx.uow, ctx.caller).create(body.customers)
    request_id = ctx.caller.request_id or ""
    return json_response({"data": [_batch_item(result, request_id) for result in results]})


@router.get(
    "/{customer_id:customer_id}",
    response_model=CustomerOut,
    responses={**_NOT_MODIFIED, **errors_for(CustomerNotFound)},
    openapi_extra={"parameters": [_IF_NONE_MATCH]},
)
async def get_customer(customer_id: str, ctx: Ctx) -> Response:
    """Retrieve a customer."""
    row = await CustomerService(ctx.uow, ctx.caller).get(customer_id)
    etag = customer_etag(row)
    if_none_match = ctx.request.headers.get("if-none-match")
    if if_none_match is not None and etag in (tag.strip() for tag in if_none_match.split(",")):
        return Response(status_code=304, headers={"ETag": etag})
    return object_response(render_customer(row), etag=etag)


@router.patch(
    "/{customer_id:customer_id}",
    response_model=CustomerOut,
    responses=errors_for(
        *BODY, *CONDITIONAL, CustomerNotFound, CustomerAlreadyExists, CustomerRedacted
    ),
)
async def update_customer(
    customer_id: str, body: CustomerUpdate, ctx: Ctx, if_match: IfMatch = None
) -> Response:
    """Update a customer: only the fields sent change; null clears a nullable field."""
    service = CustomerService(ctx.uow, ctx.caller)
    row = await service.update(customer_id, body, if_match=if_match)
    return object_response(render_customer(row), etag=customer_etag(row))


@router.delete(
    "/{customer_id:customer_id}",
    response_model=DeletedOut,
    responses=errors_for(*BODY, *CONDITIONAL, CustomerNotFound),
)
async def delete_customer(customer_id: str, ctx: Ctx, if_match: IfMatch = None) -> Response:
    """Delete a customer, with its addresses, businesses and payment methods."""
    await CustomerService(ctx.uow, ctx.caller).delete(customer_id, if_match=if_match)
    return json_response({"id": customer_id, "deleted": True})


@router.get(
    "",
    response_model=ListOf[CustomerOut],
    responses=errors_for(*INVALID),
    openapi_extra={"parameters": [*query_parameters(CustomerListParams), _CUSTOM_DATA_FILTER]},
)
async def list_customers(ctx: Ctx) -> Response:
    """List customers, newest first."""
    params = parse_query(ctx.request, CustomerListParams, open_prefixes=("custom_data[",))
    query = parse_list_query(
        status=params.status,
        email=params.email,
        search=params.search,
        custom_data=bracketed(ctx.request, "custom_data"),
        external_id=params.external_id,
        phone=params.phone,
    )
    page = await CustomerService(ctx.uow, ctx.caller).list(query, params.window())
    return list_response(page, render_customer)


@router.get(
    "/{customer_id}/events",
    response_model=ListOf[EventOut],
    responses=errors_for(*INVALID, CustomerNotFound),
    openapi_extra={"parameters": query_parameters(EventListParams)},
)
async def list_customer_events(customer_id: str, ctx: Ctx) -> Response:
    """The customer's timeline: every event about it and its sub-resources, newest first."""
    params = parse_query(ctx.request, EventListParams)
    await CustomerService(ctx.uow, ctx.caller).get(customer_id)
    page = await EventService(ctx.uow, ctx.caller).list(
        parse_event_types(params.type), params.window(), customer_id=customer_id
    )
    return list_response(page, render_event)


@router.get(
    "/{customer_id}/duplicates",
    response_model=DuplicatesOut,
    responses=errors_for(CustomerNotFound),
)
async def list_customer_duplicates(customer_id: str, ctx: Ctx) -> Response:
    """Other customers that are probably the same person, those with most reasons first."""
    found = await DuplicateFinder(ctx.uow, ctx.caller).of(customer_id)
    data = [
        {"customer": render_customer(item.customer), "reasons": list(item.reasons)}
        for item in found.data
    ]
    return json_response({"data": data, "has_more": found.has_more})


@router.post(
    "/{customer_id}/merge",
    response_model=CustomerOut,
    responses=errors_for(*BODY, *IDEMPOTENT, CustomerNotFound, CustomerRedacted),
    openapi_extra=idempotent(),
)
async def merge_customers(customer_id: str, body: MergeRequest, ctx: Ctx) -> Response:
    """Merge another customer into this one: its sub-resources move here, then it is deleted."""
    row = await CustomerMerge(ctx.uow, ctx.caller).merge(customer_id, body.source_customer_id)
    return object_response(render_customer(row), etag=customer_etag(row))


@router.get(
    "/{customer_id}/export",
    response_model=PersonExportOut,
    responses=errors_for(CustomerNotFound),
)
async def export_customer(customer_id: str, ctx: Ctx) -> Response:
    """Everything held about the person, as one JSON document, streamed."""
    export = await CustomerExport(ctx.uow, ctx.caller).of(customer_id)
    return StreamingResponse(
        export_document(export),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{customer_id}.json"'},
    )


@router.post(
    "/{customer_id}/redact",
    response_model=CustomerOut,
    responses=errors_for(*BODY, *IDEMPOTENT, CustomerNotFound, CustomerRedacted),
    openapi_extra=idempotent(),
)
async def redact_customer(customer_id: str, ctx: Ctx) -> Response:
    """Erase the customer's personal data for good; its ids stay, for invoices and ledgers."""
    row = await CustomerRedaction(ctx.uow, ctx.caller).redact(customer_id)
    return object_response(render_customer(row), etag=customer_etag(row))


def _batch_item(result: ItemResult, request_id: str) -> dict[str, Any]:
    if result.error is not None:
        return {"status": result.error.status, "error": error_body(result.error, request_id)}
    assert result.customer is not None, "an item is either created or refused"
    return {"status": 201, "customer": render_customer(result.customer)}
