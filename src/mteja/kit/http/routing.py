"""Routers: one for every ``/api/v1`` resource, and one factory for the shape that owned
resources share (create, get, update and list under their parent).

Every route has one style: path parameters, then the body, then ``ctx: Ctx`` (and
``if_match: IfMatch`` where it applies); it calls one service and renders the row. Each
route declares the errors it can answer with ``errors_for``; the OpenAPI document lists
exactly those.

No ``from __future__ import annotations`` here: FastAPI reads the factory's parameter
types at definition time, and they are variables of the factory.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Path, params
from pydantic import BaseModel, create_model
from starlette.responses import Response

from mteja.core.errors import MtejaError, NotFound
from mteja.core.listing import ListQuery
from mteja.core.paging import parse_statuses
from mteja.core.schemas import ListOf
from mteja.db.sql import Record
from mteja.kit.http.context import Ctx, IfMatch
from mteja.kit.http.errors import (
    ALWAYS,
    BODY,
    CONDITIONAL,
    IDEMPOTENT,
    INVALID,
    errors_for,
)
from mteja.kit.http.openapi import idempotent
from mteja.kit.http.query import parse_query, query_parameters
from mteja.kit.http.responses import list_response, object_response
from mteja.kit.render import Renderer
from mteja.kit.service import OwnedResourceService


def api_router(
    prefix: str,
    tag: str,
    *,
    dependencies: Sequence[params.Depends] = (),
    errors: Sequence[type[MtejaError]] = (),
) -> APIRouter:
    """A router of ``/api/v1`` routes: each answers 401 without a valid key, may fail, and
    may answer ``errors`` (those of its ``dependencies``)."""
    return APIRouter(
        prefix=prefix,
        tags=[tag],
        responses=errors_for(*ALWAYS, *errors),
        dependencies=dependencies,
    )


@dataclass(frozen=True, slots=True)
class OwnedResource:
    """What the routes of one owned resource need to know about it."""

    path: str  # of the collection, with the parent's id: /api/v1/customers/{customer_id}/…
    tag: str
    singular: str  # address: create_customer_address, get_customer_address…
    plural: str  # addresses: list_customer_addresses
    parent_param: str  # customer_id
    id_param: str  # address_id
    statuses: tuple[str, ...]
    service: type[OwnedResourceService]
    create_body: type[BaseModel]
    update_body: type[BaseModel]
    list_params: type[ListQuery]
    out: Any  # the response model (a model, or a discriminated union of models)
    render: Renderer
    etag: Callable[[Record], str]
    parent_not_found: type[NotFound]
    docs: dict[str, str]  # create, get, update, list: one sentence each
    # What a create or an update may also answer because of the parent's state (a
    # redacted customer's sub-resources cannot change).
    write_errors: tuple[type[MtejaError], ...] = ()


def _list_model(resource: OwnedResource) -> type[BaseModel]:
    """The list envelope under a name of its own (``ListOfPaymentMethodOut``): a generic
    over a union would be named after its whole type expression in the document."""
    singular = "".join(word.title() for word in resource.singular.split("_"))
    return create_model(f"ListOf{singular}Out", __base__=ListOf[resource.out])  # type: ignore[name-defined]


def owned_resource_router(
    resource: OwnedResource,
    *,
    dependencies: Sequence[params.Depends] = (),
    errors: Sequence[type[MtejaError]] = (),
) -> APIRouter:
    """``POST`` and ``GET`` on the collection, ``GET`` and ``PATCH`` on one."""
    router = api_router(resource.path, resource.tag, dependencies=dependencies, errors=errors)
    Parent = Annotated[str, Path(alias=resource.parent_param)]
    Child = Annotated[str, Path(alias=resource.id_param)]
    Create = resource.create_body
    Update = resource.update_body
    service, render, etag = resource.service, resource.render, resource.etag
    not_found = (resource.parent_not_found, resource.service.not_found)

    async def create(parent_id: Parent, body: Create, ctx: Ctx) -> Response:  # type: ignore[valid-type]
        row = await service(ctx.uow, ctx.caller).create(parent_id, body)  # type: ignore[attr-defined]
        return object_response(render(row), etag=etag(row), status=201)

    async def get(parent_id: Parent, child_id: Child, ctx: Ctx) -> Response:
        row = await service(ctx.uow, ctx.caller).get(parent_id, child_id)
        return object_response(render(row), etag=etag(row))

    async def update(
        parent_id: Parent,
        child_id: Child,
        body: Update,  # type: ignore[valid-type]
        ctx: Ctx,
        if_match: IfMatch = None,
    ) -> Response:
        row = await service(ctx.uow, ctx.caller).update(  # type: ignore[attr-defined]
            parent_id, child_id, body, if_match=if_match
        )
        return object_response(render(row), etag=etag(row))

    async def list_(parent_id: Parent, ctx: Ctx) -> Response:
        query = parse_query(ctx.request, resource.list_params)
        statuses = parse_statuses(getattr(query, "status", None), resource.statuses)
        page = await service(ctx.uow, ctx.caller).list(parent_id, statuses, query.window())
        return list_response(page, render)

    one = "/{" + resource.id_param + "}"
    # Operation ids read like the SDK's calls: create_customer_address, list_customer_addresses.
    parent = resource.parent_param.removesuffix("_id")
    name, names = f"{parent}_{resource.singular}", f"{parent}_{resource.plural}"
    router.add_api_route(
        "",
        create,
        methods=["POST"],
        status_code=201,
        name=f"create_{name}",
        description=resource.docs["create"],
        response_model=resource.out,
        responses=errors_for(*BODY, *IDEMPOTENT, resource.parent_not_found, *resource.write_errors),
        openapi_extra=idempotent(),
    )
    router.add_api_route(
        one,
        get,
        methods=["GET"],
        name=f"get_{name}",
        description=resource.docs["get"],
        response_model=resource.out,
        responses=errors_for(*not_found),
    )
    router.add_api_route(
        one,
        update,
        methods=["PATCH"],
        name=f"update_{name}",
        description=resource.docs["update"],
        response_model=resource.out,
        responses=errors_for(*BODY, *CONDITIONAL, *not_found, *resource.write_errors),
    )
    router.add_api_route(
        "",
        list_,
        methods=["GET"],
        name=f"list_{names}",
        description=resource.docs["list"],
        response_model=_list_model(resource),
        responses=errors_for(*INVALID, resource.parent_not_found),
        openapi_extra={"parameters": query_parameters(resource.list_params)},
    )
    return router
