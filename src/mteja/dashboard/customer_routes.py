"""Customer pages: the list with its filters, a customer with everything it has, and the
forms that create, edit, suspend and reactivate."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from mteja.core.errors import MtejaError, NotFound, PreconditionFailed
from mteja.core.paging import Window, build_window
from mteja.customers.addresses.service import AddressService
from mteja.customers.businesses.service import BusinessService
from mteja.customers.payment_methods.service import PaymentMethodService
from mteja.customers.schemas import CustomerCreate, CustomerUpdate, customer_etag
from mteja.customers.service import CustomerService
from mteja.customers.tables import CUSTOMER_STATUSES
from mteja.dashboard.auth import acting, require_session, signed_form
from mteja.dashboard.filters import customer_filters
from mteja.dashboard.forms import (
    FormErrors,
    create_body,
    customer_values,
    update_body,
    validate,
)
from mteja.dashboard.pages import DashboardRoute, PageError, redirect, render
from mteja.dashboard.session import COOKIE_PATH, Session
from mteja.dashboard.timeline import timeline
from mteja.db.sql import Record
from mteja.events.service import EventService

router = APIRouter(prefix=COOKIE_PATH, include_in_schema=False, route_class=DashboardRoute)
TIMELINE_PAGE_SIZE = 20
# A customer with more than this many addresses (or businesses, payment methods) shows
# the newest ones and says that there are more.
CHILDREN_SHOWN = 100
CHANGED_MEANWHILE = (
    "Someone else changed this customer while you were editing. "
    "Here it is as it is now: make your change again."
)
_NOTICES = frozenset(
    {"created", "updated", "suspended", "reactivated", "unchanged", "merged", "redacted"}
)


def _customers(request: Request, session: Session) -> CustomerService:
    return CustomerService(*acting(request, session))


@router.get("/customers")
async def list_customers(request: Request) -> Response:
    session = await require_session(request)
    filters = customer_filters(request.query_params)
    page = None
    if filters.query is not None and filters.window is not None:
        page = await _customers(request, session).list(filters.query, filters.window)
    return render(
        request,
        "customers.html",
        status=400 if filters.errors else 200,
        section="customers",
        filters=filters,
        page=page,
        statuses=CUSTOMER_STATUSES,
    )


@router.get("/customers/new")
async def new_customer(request: Request) -> Response:
    await require_session(request)
    return _form(request, values={"status": "active"}, errors=FormErrors())


@router.post("/customers/new")
async def create_customer(request: Request) -> Response:
    session, form = await signed_form(request)
    errors = FormErrors()
    body = validate(CustomerCreate, create_body(form, errors), errors)
    if body is not None and not errors:
        try:
            row = await _customers(request, session).create(body)
        except MtejaError as error:
            errors.add_error(error)
        else:
            return redirect(f"{COOKIE_PATH}/customers/{row['id']}?notice=created")
    return _form(request, values=form, errors=errors, status=400)


@router.get("/customers/{customer_id}")
async def show_customer(customer_id: str, request: Request) -> Response:
    session = await require_session(request)
    work = acting(request, session)
    customer = await CustomerService(*work).get(customer_id)
    children = Window(limit=CHILDREN_SHOWN, order="desc")
    addresses = await AddressService(*work).list(customer_id, (), children)
    businesses = await BusinessService(*work).list(customer_id, (), children)
    methods = await PaymentMethodService(*work).list(customer_id, (), children)
    events = await EventService(*work).list_of_customer(
        customer_id, _timeline_window(request.query_params.get("timeline"))
    )
    notice = request.query_params.get("notice")
    return render(
        request,
        "customer.html",
        section="customers",
        customer=customer,
        addresses=addresses,
        businesses=businesses,
        payment_methods=methods,
        events=events,
        entries=timeline(events.data),
        notice=notice if notice in _NOTICES else None,
    )


def _timeline_window(cursor: str | None) -> Window:
    return build_window(
        ("evt",),
        limit=TIMELINE_PAGE_SIZE,
        order="desc",
        cursor=cursor or None,
        created_gte=None,
        created_lt=None,
    )


@router.get("/customers/{customer_id}/edit")
async def edit_customer(customer_id: str, request: Request) -> Response:
    session = await require_session(request)
    customer = await _customers(request, session).get(customer_id)
    values = {**customer_values(customer), "etag": customer_etag(customer)}
    return _form(request, values=values, errors=FormErrors(), customer=customer)


@router.post("/customers/{customer_id}/edit")
async def update_customer(customer_id: str, request: Request) -> Response:
    session, form = await signed_form(request)
    service = _customers(request, session)
    current = await service.get(customer_id)
    errors = FormErrors()
    body = validate(CustomerUpdate, update_body(form, current, errors), errors)
    if body is not None and not errors:
        try:
            row = await service.update(customer_id, body, if_match=form.get("etag") or None)
        except NotFound:
            raise
        except PreconditionFailed:
            errors.general.append(CHANGED_MEANWHILE)
            values = {**customer_values(current), "etag": customer_etag(current)}
            return _form(request, values=values, errors=errors, customer=current, status=409)
        except MtejaError as error:
            errors.add_error(error)
        else:
            notice = "updated" if row["version"] != current["version"] else "unchanged"
            return redirect(f"{COOKIE_PATH}/customers/{customer_id}?notice={notice}")
    return _form(request, values=form, errors=errors, customer=current, status=400)


@router.post("/customers/{customer_id}/status")
async def change_status(customer_id: str, request: Request) -> Response:
    session, form = await signed_form(request)
    status = form.get("status")
    if status not in ("active", "suspended"):
        raise PageError(400, "Choose a status from the list.")
    service = _customers(request, session)
    body = CustomerUpdate.model_validate({"status": status})
    await service.update(customer_id, body, if_match=None)
    notice = "suspended" if status == "suspended" else "reactivated"
    return redirect(f"{COOKIE_PATH}/customers/{customer_id}?notice={notice}")


def _form(
    request: Request,
    *,
    values: dict[str, str],
    errors: FormErrors,
    customer: Record | None = None,
    status: int = 200,
) -> Response:
    context: dict[str, Any] = {"values": values, "errors": errors, "customer": customer}
    return render(
        request,
        "customer_form.html",
        status=status,
        section="customers",
        statuses=CUSTOMER_STATUSES,
        **context,
    )
