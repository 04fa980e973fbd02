"""The portal's pages: one customer's name, phone, billing addresses and mobile-money
numbers, changed through the same services as the API, as the actor ``portal``.

Every route opens the link first (``open_portal``): an unknown link is 404, an expired one
or one whose customer was redacted or deleted 410. Everything after that is scoped to the
session's account and to its one customer: an id of another customer's address or
payment method is simply not found (404). Every form carries a CSRF token derived from
the link and is refused from another origin.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import Response

from mteja.core.errors import MtejaError
from mteja.core.paging import Window
from mteja.core.time import utcnow
from mteja.customers.addresses.schemas import ADDRESS_FIELDS, AddressCreate, AddressUpdate
from mteja.customers.addresses.service import AddressService
from mteja.customers.payment_methods.providers import PROVIDERS
from mteja.customers.payment_methods.schemas import PaymentMethodCreate, PaymentMethodUpdate
from mteja.customers.payment_methods.service import PaymentMethodService
from mteja.customers.portal.service import PORTAL_PATH, PortalVisit, open_portal
from mteja.customers.schemas import CustomerUpdate
from mteja.customers.service import CustomerService
from mteja.dashboard.forms import FormErrors, check_origin, check_token, read_form, validate
from mteja.kit.http.context import unit_of_work_of
from mteja.portal.pages import (
    PortalRoute,
    csrf_token,
    language_of,
    portal_of,
    redirect,
    render,
)

router = APIRouter(prefix=PORTAL_PATH, include_in_schema=False, route_class=PortalRoute)
# A customer with more than this many addresses or payment methods sees the newest.
SHOWN = 50
PROFILE_FIELDS = ("name", "phone")
MOBILE_MONEY_FIELDS = ("mobile_money.phone", "mobile_money.provider")
_NOTICES = frozenset(
    {"profile", "address_added", "address_saved", "method_added", "method_default", "removed"}
)


@router.get("/static/portal.css")
async def stylesheet(request: Request) -> Response:
    portal = portal_of(request)
    headers = {"Cache-Control": "public, max-age=31536000, immutable"}
    return Response(portal.stylesheet, media_type="text/css; charset=utf-8", headers=headers)


async def _visit(request: Request, token: str) -> PortalVisit:
    return await open_portal(
        unit_of_work_of(request),
        token,
        request_id=request.scope["state"]["request_id"],
        now=utcnow(),
    )


async def _signed_form(request: Request, token: str) -> tuple[PortalVisit, dict[str, str]]:
    visit = await _visit(request, token)
    check_origin(request)
    form = await read_form(request)
    check_token(csrf_token(token), form)
    return visit, form


@router.get("/{token}")
async def portal_page(token: str, request: Request) -> Response:
    visit = await _visit(request, token)
    notice = request.query_params.get("notice")
    return await _page(request, token, visit, notice=notice if notice in _NOTICES else None)


@router.post("/{token}/profile")
async def change_profile(token: str, request: Request) -> Response:
    visit, form = await _signed_form(request, token)
    errors = FormErrors(known=PROFILE_FIELDS)
    customer = visit.customer
    document: dict[str, Any] = {}
    if form.get("name", "") != customer["name"]:
        document["name"] = form.get("name", "")
    phone = form.get("phone", "").strip()
    if phone != (customer["phone"] or ""):
        document["phone"] = phone or None
    body = validate(CustomerUpdate, document, errors)
    if body is not None:
        try:
            await CustomerService(unit_of_work_of(request), visit.caller).update(
                customer["id"], body, if_match=None
            )
        except MtejaError as error:
            errors.add_error(error)
        else:
            return _back(request, token, "profile")
    return await _page(request, token, visit, form="profile", values=form, errors=errors)


@router.post("/{token}/addresses")
async def add_address(token: str, request: Request) -> Response:
    visit, form = await _signed_form(request, token)
    errors = FormErrors(known=ADDRESS_FIELDS)
    document: dict[str, Any] = {**_address_document(form), "default": "default" in form}
    body = validate(AddressCreate, document, errors)
    if body is not None:
        try:
            await _addresses(request, visit).create(visit.customer["id"], body)
        except MtejaError as error:
            errors.add_error(error)
        else:
            return _back(request, token, "address_added")
    return await _page(request, token, visit, form="new_address", values=form, errors=errors)


@router.post("/{token}/addresses/{address_id}")
async def change_address(token: str, address_id: str, request: Request) -> Response:
    visit, form = await _signed_form(request, token)
    errors = FormErrors(known=ADDRESS_FIELDS)
    document: dict[str, Any] = _address_document(form, clearing=True)
    if "default" in form:
        document["default"] = True
    body = validate(AddressUpdate, document, errors)
    if body is not None:
        try:
            await _addresses(request, visit).update(
                visit.customer["id"], address_id, body, if_match=None
            )
        except MtejaError as error:
            if error.status == 404:
                raise
            errors.add_error(error)
        else:
            return _back(request, token, "address_saved")
    return await _page(
        request, token, visit, form=f"address_{address_id}", values=form, errors=errors
    )


def _address_document(form: Mapping[str, str], *, clearing: bool = False) -> dict[str, Any]:
    """The address fields of a form: blank ones left out of a new address, cleared (null)
    on an existing one; the country as typed, which the API upper-cases."""
    document: dict[str, Any] = {}
    for name in ADDRESS_FIELDS:
        value = form.get(name, "").strip()
        if value:
            document[name] = value
        elif clearing and name != "country":
            document[name] = None
    return document


@router.post("/{token}/payment_methods")
async def add_mobile_money(token: str, request: Request) -> Response:
    visit, form = await _signed_form(request, token)
    errors = FormErrors(known=MOBILE_MONEY_FIELDS)
    mobile_money: dict[str, Any] = {"phone": form.get("mobile_money.phone", "").strip()}
    if provider := form.get("mobile_money.provider", ""):
        mobile_money["provider"] = provider
    document = {
        "type": "mobile_money",
        "mobile_money": mobile_money,
        "set_default": "set_default" in form,
    }
    body = validate(PaymentMethodCreate, document, errors)
    if body is not None:
        try:
            await _methods(request, visit).create(visit.customer["id"], body)
        except MtejaError as error:
            errors.add_error(error)
        else:
            return _back(request, token, "method_added")
    return await _page(request, token, visit, form="mobile_money", values=form, errors=errors)


@router.post("/{token}/payment_methods/{payment_method_id}/default")
async def make_default(token: str, payment_method_id: str, request: Request) -> Response:
    visit, _form = await _signed_form(request, token)
    customer_id = visit.customer["id"]
    # Found first, so that another customer's id is a 404, not a form error.
    await _methods(request, visit).get(customer_id, payment_method_id)
    body = CustomerUpdate.model_validate({"payment_method": payment_method_id})
    await CustomerService(unit_of_work_of(request), visit.caller).update(
        customer_id, body, if_match=None
    )
    return _back(request, token, "method_default")


@router.post("/{token}/payment_methods/{payment_method_id}/remove")
async def remove_method(token: str, payment_method_id: str, request: Request) -> Response:
    """Removing revokes (docs/portal.md): invoices that name the method still resolve."""
    visit, _form = await _signed_form(request, token)
    body = PaymentMethodUpdate.model_validate({"status": "revoked"})
    await _methods(request, visit).update(
        visit.customer["id"], payment_method_id, body, if_match=None
    )
    return _back(request, token, "removed")


def _addresses(request: Request, visit: PortalVisit) -> AddressService:
    return AddressService(unit_of_work_of(request), visit.caller)


def _methods(request: Request, visit: PortalVisit) -> PaymentMethodService:
    return PaymentMethodService(unit_of_work_of(request), visit.caller)


def _back(request: Request, token: str, notice: str) -> Response:
    params = {"notice": notice}
    if (lang := request.query_params.get("lang")) is not None:
        params["lang"] = lang
    return redirect(f"{PORTAL_PATH}/{token}?{urlencode(params)}")


async def _page(
    request: Request,
    token: str,
    visit: PortalVisit,
    *,
    notice: str | None = None,
    form: str | None = None,
    values: Mapping[str, str] | None = None,
    errors: FormErrors | None = None,
) -> Response:
    uow, customer_id = unit_of_work_of(request), visit.customer["id"]
    window = Window(limit=SHOWN, order="desc")
    addresses = await AddressService(uow, visit.caller).list(customer_id, ("active",), window)
    methods = await PaymentMethodService(uow, visit.caller).list(customer_id, ("active",), window)
    language = language_of(request, visit.session["locale"])
    # Read again: a change that failed validation left nothing changed, but the customer
    # shown must be the stored one either way.
    customer = await CustomerService(uow, visit.caller).get(customer_id)
    return render(
        request,
        "portal.html",
        language=language,
        status=400 if errors else 200,
        base=f"{PORTAL_PATH}/{token}",
        query=f"?lang={language}",
        csrf_token=csrf_token(token),
        customer=customer,
        addresses=addresses.data,
        methods=methods.data,
        providers=sorted(PROVIDERS.items(), key=lambda item: item[1].name),
        return_url=visit.session["return_url"],
        expires_at=visit.session["expires_at"],
        notice=notice,
        form=form,
        values=values or {},
        errors=errors or FormErrors(known=()),
        no_errors=FormErrors(known=()),
        address_fields=ADDRESS_FIELDS,
    )
