"""The portal session route (API.md section 14): a link for one customer's own page."""

from __future__ import annotations

from starlette.responses import Response

from mteja.customers.errors import CustomerNotFound, CustomerRedacted
from mteja.customers.portal.schemas import (
    PortalSessionCreate,
    PortalSessionOut,
    render_portal_session,
)
from mteja.customers.portal.service import PortalSessionService, portal_url
from mteja.kit.http.context import Ctx
from mteja.kit.http.errors import BODY, IDEMPOTENT, errors_for
from mteja.kit.http.openapi import idempotent
from mteja.kit.http.responses import json_response
from mteja.kit.http.routing import api_router

router = api_router("/api/v1/customers", "portal sessions")


@router.post(
    "/{customer_id}/portal_sessions",
    status_code=201,
    operation_id="create_portal_session",
    response_model=PortalSessionOut,
    responses=errors_for(*BODY, *IDEMPOTENT, CustomerNotFound, CustomerRedacted),
    openapi_extra=idempotent(),
)
async def create_portal_session(customer_id: str, body: PortalSessionCreate, ctx: Ctx) -> Response:
    """Create a link to a page where the customer, for one hour, changes their own details."""
    created = await PortalSessionService(ctx.uow, ctx.caller).create(customer_id, body)
    # MTEJA_PUBLIC_URL when set; else the address this request reached the server at.
    base = ctx.settings.public_url or str(ctx.request.base_url)
    url = portal_url(base, created.token)
    return json_response(render_portal_session(created.row, url), status=201)
