"""A customer's addresses and businesses (create, edit, archive) and payment methods (add
a mobile-money number, make one the default, revoke one), through the same services as
the API: the API's own messages are shown next to the fields."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel
from starlette.responses import Response

from mteja.core.errors import MtejaError
from mteja.customers.addresses.schemas import ADDRESS_FIELDS, AddressCreate, AddressUpdate
from mteja.customers.addresses.service import AddressService
from mteja.customers.businesses.schemas import BusinessCreate, BusinessUpdate
from mteja.customers.businesses.service import BusinessService
from mteja.customers.payment_methods.providers import PROVIDERS
from mteja.customers.payment_methods.schemas import PaymentMethodCreate, PaymentMethodUpdate
from mteja.customers.payment_methods.service import PaymentMethodService
from mteja.customers.schemas import CustomerUpdate
from mteja.customers.service import CustomerService
from mteja.dashboard.auth import acting, require_session, signed_form
from mteja.dashboard.forms import FormErrors, validate
from mteja.dashboard.pages import DashboardRoute, redirect, render
from mteja.dashboard.session import COOKIE_PATH
from mteja.db.sql import Record
from mteja.kit.service import OwnedResourceService

router = APIRouter(prefix=COOKIE_PATH, include_in_schema=False, route_class=DashboardRoute)
MOBILE_MONEY_FIELDS = ("mobile_money.phone", "mobile_money.provider")


@dataclass(frozen=True, slots=True)
class Kind:
    """One kind of owned object the dashboard edits with one form."""

    path: str  # addresses
    service: type[OwnedResourceService]
    create: type[BaseModel]
    update: type[BaseModel]
    fields: tuple[tuple[str, str], ...]  # (name, label)
    titles: tuple[str, str]  # new, edit
    values: Callable[[Record], dict[str, str]]

    @property
    def known(self) -> tuple[str, ...]:
        return (*(name for name, _label in self.fields), "contacts", "default", "status")


def _address_values(row: Record) -> dict[str, str]:
    values = {name: row[name] or "" for name in ("description", *ADDRESS_FIELDS)}
    return {**values, "default": "1" if row["is_default"] else ""}


def _business_values(row: Record) -> dict[str, str]:
    values = {name: row[name] or "" for name in ("name", "company_number", "tax_identifier")}
    lines = [f"{contact['name']} <{contact['email']}>" for contact in row["contacts"] or []]
    return {**values, "contacts": "\n".join(lines)}


ADDRESSES = Kind(
    path="addresses",
    service=AddressService,
    create=AddressCreate,
    update=AddressUpdate,
    fields=(
        ("description", "Description"),
        ("line1", "Address line 1"),
        ("line2", "Address line 2"),
        ("city", "City"),
        ("state", "Region"),
        ("postal_code", "Postal code"),
        ("country", "Country"),
    ),
    titles=("New address", "Edit address"),
    values=_address_values,
)
BUSINESSES = Kind(
    path="businesses",
    service=BusinessService,
    create=BusinessCreate,
    update=BusinessUpdate,
    fields=(
        ("name", "Name"),
        ("company_number", "Company number"),
        ("tax_identifier", "Tax identifier"),
    ),
    titles=("New business", "Edit business"),
    values=_business_values,
)


def _contacts(text: str) -> list[dict[str, str]]:
    """One contact a line, ``Name <email>``; the API validates each."""
    contacts = []
    for line in text.splitlines():
        if not line.strip():
            continue
        name, _, rest = line.partition("<")
        contacts.append({"name": name.strip(), "email": rest.rstrip().removesuffix(">").strip()})
    return contacts


def _document(kind: Kind, form: Mapping[str, str], stored: dict[str, str] | None) -> dict[str, Any]:
    """A create body (blank fields left out), or an update body of what the form changed
    (a field emptied is cleared)."""
    document: dict[str, Any] = {}
    for name, _label in kind.fields:
        value = form.get(name, "").strip()
        if stored is None:
            if value:
                document[name] = value
        elif value != stored.get(name, ""):
            document[name] = value or None
    if kind is BUSINESSES and (stored is None or form.get("contacts", "") != stored["contacts"]):
        document["contacts"] = _contacts(form.get("contacts", ""))
    if kind is ADDRESSES and (stored is None or ("default" in form) != bool(stored["default"])):
        document["default"] = "default" in form
    return document


def _register(kind: Kind) -> None:
    base = f"/customers/{{customer_id}}/{kind.path}"

    @router.get(f"{base}/new", name=f"new_{kind.path}")
    async def new(customer_id: str, request: Request) -> Response:
        session = await require_session(request)
        customer = await CustomerService(*acting(request, session)).get(customer_id)
        return _form(request, kind, customer, None, {"default": "1"}, FormErrors(known=kind.known))

    @router.post(f"{base}/new", name=f"create_{kind.path}")
    async def create(customer_id: str, request: Request) -> Response:
        session, form = await signed_form(request)
        work = acting(request, session)
        customer = await CustomerService(*work).get(customer_id)
        errors = FormErrors(known=kind.known)
        body = validate(kind.create, _document(kind, form, None), errors)
        if body is not None:
            try:
                await kind.service(*work).create(customer_id, body)  # type: ignore[attr-defined]
            except MtejaError as error:
                errors.add_error(error)
            else:
                return redirect(f"{COOKIE_PATH}/customers/{customer_id}?notice=updated")
        return _form(request, kind, customer, None, form, errors, status=400)

    @router.get(f"{base}/{{object_id}}/edit", name=f"edit_{kind.path}")
    async def edit(customer_id: str, object_id: str, request: Request) -> Response:
        session = await require_session(request)
        work = acting(request, session)
        customer = await CustomerService(*work).get(customer_id)
        row = await kind.service(*work).get(customer_id, object_id)
        return _form(request, kind, customer, row, kind.values(row), FormErrors(known=kind.known))

    @router.post(f"{base}/{{object_id}}/edit", name=f"update_{kind.path}")
    async def update(customer_id: str, object_id: str, request: Request) -> Response:
        session, form = await signed_form(request)
        work = acting(request, session)
        customer = await CustomerService(*work).get(customer_id)
        service = kind.service(*work)
        row = await service.get(customer_id, object_id)
        errors = FormErrors(known=kind.known)
        body = validate(kind.update, _document(kind, form, kind.values(row)), errors)
        if body is not None:
            try:
                await service.update(  # type: ignore[attr-defined]
                    customer_id, object_id, body, if_match=None
                )
            except MtejaError as error:
                errors.add_error(error)
            else:
                return redirect(f"{COOKIE_PATH}/customers/{customer_id}?notice=updated")
        return _form(request, kind, customer, row, form, errors, status=400)

    @router.post(f"{base}/{{object_id}}/archive", name=f"archive_{kind.path}")
    async def archive(customer_id: str, object_id: str, request: Request) -> Response:
        session, _form_sent = await signed_form(request)
        body = kind.update.model_validate({"status": "archived"})
        await kind.service(*acting(request, session)).update(  # type: ignore[attr-defined]
            customer_id, object_id, body, if_match=None
        )
        return redirect(f"{COOKIE_PATH}/customers/{customer_id}?notice=updated")


def _form(
    request: Request,
    kind: Kind,
    customer: Record,
    row: Record | None,
    values: Mapping[str, str],
    errors: FormErrors,
    *,
    status: int = 200,
) -> Response:
    return render(
        request,
        "owned_form.html",
        status=status,
        section="customers",
        kind=kind,
        customer=customer,
        row=row,
        values=values,
        errors=errors,
    )


_register(ADDRESSES)
_register(BUSINESSES)


@router.get("/customers/{customer_id}/payment_methods/new")
async def new_mobile_money(customer_id: str, request: Request) -> Response:
    session = await require_session(request)
    customer = await CustomerService(*acting(request, session)).get(customer_id)
    return _mobile_money_form(request, customer, {}, FormErrors(known=MOBILE_MONEY_FIELDS))


@router.post("/customers/{customer_id}/payment_methods/new")
async def add_mobile_money(customer_id: str, request: Request) -> Response:
    session, form = await signed_form(request)
    work = acting(request, session)
    customer = await CustomerService(*work).get(customer_id)
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
            await PaymentMethodService(*work).create(customer_id, body)
        except MtejaError as error:
            errors.add_error(error)
        else:
            return redirect(f"{COOKIE_PATH}/customers/{customer_id}?notice=updated")
    return _mobile_money_form(request, customer, form, errors, status=400)


def _mobile_money_form(
    request: Request,
    customer: Record,
    values: Mapping[str, str],
    errors: FormErrors,
    *,
    status: int = 200,
) -> Response:
    return render(
        request,
        "mobile_money_form.html",
        status=status,
        section="customers",
        customer=customer,
        values=values,
        errors=errors,
        providers=sorted(PROVIDERS.items(), key=lambda item: item[1].name),
    )


@router.post("/customers/{customer_id}/payment_methods/{payment_method_id}/default")
async def make_default(customer_id: str, payment_method_id: str, request: Request) -> Response:
    session, _form_sent = await signed_form(request)
    work = acting(request, session)
    await PaymentMethodService(*work).get(customer_id, payment_method_id)
    body = CustomerUpdate.model_validate({"payment_method": payment_method_id})
    await CustomerService(*work).update(customer_id, body, if_match=None)
    return redirect(f"{COOKIE_PATH}/customers/{customer_id}?notice=updated")


@router.post("/customers/{customer_id}/payment_methods/{payment_method_id}/revoke")
async def revoke(customer_id: str, payment_method_id: str, request: Request) -> Response:
    session, _form_sent = await signed_form(request)
    body = PaymentMethodUpdate.model_validate({"status": "revoked"})
    await PaymentMethodService(*acting(request, session)).update(
        customer_id, payment_method_id, body, if_match=None
    )
    return redirect(f"{COOKIE_PATH}/customers/{customer_id}?notice=updated")
