"""Customer rules: validation that needs the stored row, uniqueness, If-Match, paging."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from mteja.core.context import Caller
from mteja.core.errors import (
    FieldError,
    InvalidRequest,
    PreconditionFailed,
    ValidationFailed,
)
from mteja.core.etags import matches_etag
from mteja.core.identity import email_key
from mteja.core.ids import is_valid_id, new_id_at
from mteja.core.paging import Page, Window, page_from_rows, parse_statuses
from mteja.core.time import utcnow
from mteja.core.validation import is_national, storable_text, to_e164
from mteja.core.values import same_value
from mteja.customers.addresses.repository import AddressRepository
from mteja.customers.addresses.schemas import (
    ADDRESS_FIELDS,
    AddressIn,
    AddressPatch,
    render_address,
)
from mteja.customers.addresses.service import AddressService, new_address
from mteja.customers.aggregate import CustomerAggregate, address_mirror
from mteja.customers.errors import CustomerAlreadyExists, CustomerNotFound
from mteja.customers.repository import (
    CustomerFilters,
    CustomerRepository,
    Taken,
    derived_columns,
)
from mteja.customers.schemas import (
    CustomerCreate,
    CustomerUpdate,
    customer_etag,
    render_customer,
)
from mteja.customers.tables import CUSTOMER_STATUSES
from mteja.db.sql import Record
from mteja.db.uow import UnitOfWork
from mteja.events.recorder import EventRecorder

CUSTOMER_DATA_FILTER_MAX_KEY = 40


@dataclass(frozen=True, slots=True)
class CustomerListQuery:
    statuses: tuple[str, ...]
    email: str | None
    search: str | None
    custom_data: tuple[tuple[str, str], ...]
    external_id: str | None = None
    phone: str | None = None


class CustomerService:
    def __init__(self, uow: UnitOfWork, caller: Caller) -> None:
        self.uow = uow
        self.caller = caller

    async def create(self, body: CustomerCreate) -> Record:
        values, address = new_customer(body)
        conn = await self.uow.write()
        repo = CustomerRepository(conn, self.caller.account_id)
        created = [("customer", render_customer(values))]
        also = []
        if address is not None:
            also.append(AddressRepository(conn, self.caller.account_id).insertion(address))
            created.append(("address", render_address(address)))
        # One statement on PostgreSQL, with or without its first address: see db.uow.
        row = await EventRecorder(conn, self.caller).created_with(
            repo.insertion(values), created, also=also
        )
        if row is None:
            raise await already_exists(repo, values)
        return row

    async def get(self, customer_id: str) -> Record:
        if not is_valid_id(customer_id, "cus"):
            raise CustomerNotFound(customer_id)
        conn = await self.uow.read()
        row = await CustomerRepository(conn, self.caller.account_id).get(customer_id)
        if row is None:
            raise CustomerNotFound(customer_id)
        return row

    async def update(
        self, customer_id: str, body: CustomerUpdate, *, if_match: str | None
    ) -> Record:
        aggregate = CustomerAggregate(await self.uow.write(), self.caller)
        row = await aggregate.lock_for_change(customer_id)
        if not matches_etag(if_match, customer_etag(row)):
            raise PreconditionFailed()
        address = row["address"]
        if "address" in body.model_fields_set:
            address = await self._change_default_address(customer_id, body.address)
        changes = _changes(row, body, address)
        if not changes:
            return row
        repo = aggregate.customers
        if "email" in changes:
            existing = await repo.id_by_email_key(changes["email_key"])
            if existing is not None and existing != customer_id:
                raise CustomerAlreadyExists(existing)
        if changes.get("external_id") is not None:
            existing = await repo.id_by_external_id(changes["external_id"])
            if existing is not None and existing != customer_id:
                raise CustomerAlreadyExists(existing, field="external_id")
        if changes.get("payment_method_id") is not None:
            await aggregate.require_active_payment_method(customer_id, changes["payment_method_id"])
        changes["version"] = row["version"] + 1
        changes["updated_at"] = utcnow()
        try:
            updated = await repo.update(customer_id, changes)
        except Taken as taken:
            raise CustomerAlreadyExists(None, field=taken.field) from None
        await aggregate.events.updated("customer", render_customer(row), render_customer(updated))
        return updated

    async def delete(self, customer_id: str, *, if_match: str | None) -> None:
        if not is_valid_id(customer_id, "cus"):
            raise CustomerNotFound(customer_id)
        conn = await self.uow.write()
        repo = CustomerRepository(conn, self.caller.account_id)
        if if_match is not None:
            row = await repo.get(customer_id, for_update=True)
            if row is None:
                raise CustomerNotFound(customer_id)
            if not matches_etag(if_match, customer_etag(row)):
                raise PreconditionFailed()
        deleted = await repo.delete(customer_id)
        if deleted is None:
            raise CustomerNotFound(customer_id)
        # Its addresses, businesses and payment methods go with it, without events of
        # their own: customer.deleted says it all.
        await EventRecorder(conn, self.caller).deleted("customer", render_customer(deleted))

    async def list(self, query: CustomerListQuery, window: Window) -> Page[Record]:
        filters = CustomerFilters(
            statuses=query.statuses,
            email_key=email_key(query.email.strip()) if query.email is not None else None,
            search=query.search,
            custom_data=query.custom_data,
            external_id=query.external_id,
            phone=query.phone,
        )
        conn = await self.uow.read()
        rows = await CustomerRepository(conn, self.caller.account_id).list(filters, window)
        return page_from_rows(rows, window.limit, lambda row: str(row["id"]))

    async def count_by_status(self) -> dict[str, int]:
        """How many customers the account has in each status (every status listed)."""
        conn = await self.uow.read()
        counts = await CustomerRepository(conn, self.caller.account_id).count_by_status()
        return {status: counts.get(status, 0) for status in CUSTOMER_STATUSES}

    async def created_per_day(self, days: int) -> Sequence[tuple[date, int]]:
        """Customers created on each of the last ``days`` UTC days, today last; zeros kept."""
        today = utcnow().date()
        first = today - timedelta(days=days - 1)
        conn = await self.uow.read()
        repo = CustomerRepository(conn, self.caller.account_id)
        counts = await repo.created_per_day(first.isoformat())
        every_day = (first + timedelta(days=offset) for offset in range(days))
        return [(day, counts.get(day.isoformat(), 0)) for day in every_day]

    async def _change_default_address(
        self, customer_id: str, patch: AddressPatch | None
    ) -> dict[str, Any] | None:
        """The customer's new ``address``, after the rules the address routes apply."""
        addresses = AddressService(self.uow, self.caller)
        if patch is None:
            await addresses.unset_default(customer_id)
            return None
        return address_mirror(await addresses.set_default_fields(customer_id, patch))


def parse_list_query(
    *,
    status: str | None,
    email: str | None,
    search: str | None,
    custom_data: dict[str, str],
    external_id: str | None = None,
    phone: str | None = None,
) -> CustomerListQuery:
    """The customer filters of a list request; InvalidRequest names every bad one."""
    errors: list[FieldError] = []
    statuses: tuple[str, ...] = ()
    try:
        statuses = parse_statuses(status, CUSTOMER_STATUSES)
    except ValueError as error:
        errors.append(FieldError("status", str(error)))
    for param, value in (("email", email), ("search", search), ("external_id", external_id)):
        if value is not None:
            try:
                storable_text(value)
            except ValueError as error:
                errors.append(FieldError(param, str(error)))
    number = None
    if phone is not None:
        try:
            number = phone_filter(phone)
        except ValueError as error:
            errors.append(FieldError("phone", str(error)))
    pairs: list[tuple[str, str]] = []
    for key, value in custom_data.items():
        param = f"custom_data[{key}]"
        if not 1 <= len(key) <= CUSTOMER_DATA_FILTER_MAX_KEY:
            errors.append(FieldError(param, "keys are 1 to 40 characters"))
            continue
        try:
            storable_text(key)
            storable_text(value)
        except ValueError as error:
            errors.append(FieldError(param, str(error)))
            continue
        pairs.append((key, value))
    if errors:
        raise ValidationFailed(errors)
    return CustomerListQuery(
        statuses=statuses,
        email=email,
        search=search,
        custom_data=tuple(pairs),
        external_id=external_id,
        phone=number,
    )


def phone_filter(value: str) -> str:
    """A ``phone=`` filter, normalised as a stored phone is: international format only
    (a national number has no address here to be read in)."""
    value = storable_text(value).strip()
    if not value.startswith("+"):
        raise ValueError("must be in international format, starting with + (+255788323255)")
    return to_e164(value, None)


def new_customer(body: CustomerCreate) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The row of a new customer and of its first address (None without one): how both
    the single create and the batch make them. InvalidRequest for a phone the address
    cannot place."""
    fields = _address_fields(body.address) if body.address else None
    phone = _resolve_phone(body.phone, fields)
    customer_id, created_at = new_id_at("cus")
    address = new_address(customer_id, fields, default=True) if fields else None
    values: dict[str, Any] = {
        "id": customer_id,
        "external_id": body.external_id,
        "name": body.name,
        "email": body.email,
        "phone": phone,
        "address": address_mirror(address),
        "payment_method_id": None,
        "status": body.status,
        "custom_data": body.custom_data,
        **derived_columns(body.name, body.email, phone),
        "version": 1,
        "created_at": created_at,
        "updated_at": created_at,
        "redacted_at": None,
    }
    return values, address


async def already_exists(repo: CustomerRepository, values: dict[str, Any]) -> CustomerAlreadyExists:
    """Which unique value a refused insert met: the email, else the external id."""
    existing = await repo.id_by_email_key(values["email_key"])
    if existing is not None or values["external_id"] is None:
        return CustomerAlreadyExists(existing)
    existing = await repo.id_by_external_id(values["external_id"])
    return CustomerAlreadyExists(existing, field="external_id")


def _address_fields(address: AddressIn) -> dict[str, Any]:
    return {name: getattr(address, name) for name in ADDRESS_FIELDS}


def _resolve_phone(phone: str | None, address: dict[str, Any] | None) -> str | None:
    if phone is None or not is_national(phone):
        return phone
    region = address["country"] if address else None
    try:
        return to_e164(phone, region)
    except ValueError as error:
        raise InvalidRequest.for_field("phone", str(error)) from None


def _changes(row: Record, body: CustomerUpdate, address: dict[str, Any] | None) -> dict[str, Any]:
    """Column values that differ from the stored row; empty when the PATCH changes nothing."""
    sent = body.model_fields_set
    changes: dict[str, Any] = {}
    if address != row["address"]:
        changes["address"] = address
    if "phone" in sent:
        phone = _resolve_phone(body.phone, address)
        if phone != row["phone"]:
            changes["phone"] = phone
    if "name" in sent and body.name != row["name"]:
        changes["name"] = body.name
    if "email" in sent and body.email != row["email"]:
        changes["email"] = body.email
    if "external_id" in sent and body.external_id != row["external_id"]:
        changes["external_id"] = body.external_id
    if "status" in sent and body.status != row["status"]:
        changes["status"] = body.status
    if "custom_data" in sent and not same_value(row["custom_data"], body.custom_data):
        changes["custom_data"] = body.custom_data
    if "payment_method" in sent and body.payment_method != row["payment_method_id"]:
        changes["payment_method_id"] = body.payment_method
    if changes.keys() & {"name", "email", "phone"}:
        derived = derived_columns(
            changes.get("name", row["name"]),
            changes.get("email", row["email"]),
            changes.get("phone", row["phone"]),
        )
        changes.update(derived)
    return changes
