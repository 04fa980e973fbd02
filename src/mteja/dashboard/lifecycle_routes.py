"""What a support person does about one person: find their duplicates and merge one in
(after seeing what will move), download everything held about them, erase them (typing
their email to confirm), and hand them a portal link."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response, StreamingResponse

from mteja.core.paging import Window
from mteja.customers.addresses.service import AddressService
from mteja.customers.businesses.service import BusinessService
from mteja.customers.duplicates import DuplicateFinder
from mteja.customers.export import CustomerExport, export_document
from mteja.customers.merge import CustomerMerge, taken_from
from mteja.customers.payment_methods.service import PaymentMethodService
from mteja.customers.portal.schemas import PortalSessionCreate
from mteja.customers.portal.service import PortalSessionService, portal_url
from mteja.customers.redaction import CustomerRedaction
from mteja.customers.service import CustomerService
from mteja.dashboard.auth import acting, require_session, signed_form
from mteja.dashboard.pages import DashboardRoute, PageError, redirect, render
from mteja.dashboard.session import COOKIE_PATH

router = APIRouter(prefix=COOKIE_PATH, include_in_schema=False, route_class=DashboardRoute)
# A merge moves everything the source has; the preview lists this many of each kind.
PREVIEW = 100
TYPE_EMAIL = "Type the customer's email address exactly to confirm."


@router.get("/customers/{customer_id}/duplicates")
async def duplicates(customer_id: str, request: Request) -> Response:
    session = await require_session(request)
    work = acting(request, session)
    customer = await CustomerService(*work).get(customer_id)
    found = await DuplicateFinder(*work).of(customer_id)
    return render(request, "duplicates.html", section="customers", customer=customer, found=found)


@router.get("/customers/{customer_id}/merge/{source_id}")
async def merge_preview(customer_id: str, source_id: str, request: Request) -> Response:
    """What the merge will do, before it is confirmed: nothing changes here."""
    session = await require_session(request)
    work = acting(request, session)
    customers = CustomerService(*work)
    target = await customers.get(customer_id)
    source = await customers.get(source_id)
    if source_id == customer_id:
        raise PageError(400, "A customer cannot be merged into itself.")
    window = Window(limit=PREVIEW, order="desc")
    return render(
        request,
        "merge.html",
        section="customers",
        target=target,
        source=source,
        taken=taken_from(source, target),
        addresses=await AddressService(*work).list(source_id, (), window),
        businesses=await BusinessService(*work).list(source_id, (), window),
        payment_methods=await PaymentMethodService(*work).list(source_id, (), window),
    )


@router.post("/customers/{customer_id}/merge/{source_id}")
async def merge(customer_id: str, source_id: str, request: Request) -> Response:
    session, _form = await signed_form(request)
    await CustomerMerge(*acting(request, session)).merge(customer_id, source_id)
    return redirect(f"{COOKIE_PATH}/customers/{customer_id}?notice=merged")


@router.get("/customers/{customer_id}/export")
async def export(customer_id: str, request: Request) -> Response:
    session = await require_session(request)
    found = await CustomerExport(*acting(request, session)).of(customer_id)
    return StreamingResponse(
        export_document(found),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{customer_id}.json"'},
    )


@router.get("/customers/{customer_id}/redact")
async def redact_form(customer_id: str, request: Request) -> Response:
    session = await require_session(request)
    customer = await CustomerService(*acting(request, session)).get(customer_id)
    return render(request, "redact.html", section="customers", customer=customer, error=None)


@router.post("/customers/{customer_id}/redact")
async def redact(customer_id: str, request: Request) -> Response:
    session, form = await signed_form(request)
    work = acting(request, session)
    customer = await CustomerService(*work).get(customer_id)
    if form.get("confirm", "").strip().lower() != str(customer["email"]).lower():
        return render(
            request,
            "redact.html",
            status=400,
            section="customers",
            customer=customer,
            error=TYPE_EMAIL,
        )
    await CustomerRedaction(*work).redact(customer_id)
    return redirect(f"{COOKIE_PATH}/customers/{customer_id}?notice=redacted")


@router.post("/customers/{customer_id}/portal")
async def portal_link(customer_id: str, request: Request) -> Response:
    session, form = await signed_form(request)
    # The page's first language: the one the support person is using, unless told.
    locale = form.get("locale")
    body = PortalSessionCreate(locale="sw" if locale == "sw" else "en")
    created = await PortalSessionService(*acting(request, session)).create(customer_id, body)
    base = request.app.state.settings.public_url or str(request.base_url)
    return render(
        request,
        "portal_link.html",
        section="customers",
        customer_id=customer_id,
        url=portal_url(base, created.token),
        expires_at=created.row["expires_at"],
    )
