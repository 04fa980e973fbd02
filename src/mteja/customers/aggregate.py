"""The customer aggregate: its root row, and its one rule about defaults.

Every change to a customer's addresses, businesses or payment methods first locks the
customer row (``lock``), which serialises changes to one customer (PostgreSQL
``FOR UPDATE``; SQLite writes are serial anyway) and answers 404 for a customer the
account does not have.

The rule about defaults lives here and nowhere else. A customer has at most one default
address and at most one default payment method: its ``address`` mirrors the six address
fields of its default address (or is null), and its ``payment_method`` names its default
payment method, always one of its active ones (or is null). The address and payment-method
services and the customer service (``address`` and ``payment_method`` on create and
PATCH) change defaults only through the methods below.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mteja.core.context import Caller
from mteja.core.errors import InvalidRequest
from mteja.core.ids import is_valid_id
from mteja.core.time import utcnow
from mteja.customers.addresses.repository import AddressRepository
from mteja.customers.addresses.schemas import ADDRESS_FIELDS, render_address
from mteja.customers.errors import CustomerNotFound, CustomerRedacted
from mteja.customers.payment_methods.repository import PaymentMethodRepository
from mteja.customers.payment_methods.tables import PAYMENT_METHOD_TYPES
from mteja.customers.repository import CustomerRepository
from mteja.customers.schemas import render_customer
from mteja.db.sql import Conn, Record
from mteja.events.recorder import EventRecorder
from mteja.kit.service import apply_changes


def address_mirror(default: Record | Mapping[str, Any] | None) -> dict[str, Any] | None:
    """What a customer's ``address`` shows of its default address."""
    if default is None:
        return None
    return {name: default[name] for name in ADDRESS_FIELDS}


class CustomerAggregate:
    def __init__(self, conn: Conn, caller: Caller) -> None:
        account_id = caller.account_id
        self.customers = CustomerRepository(conn, account_id)
        self.addresses = AddressRepository(conn, account_id)
        self.payment_methods = PaymentMethodRepository(conn, account_id)
        self.events = EventRecorder(conn, caller)

    async def lock(self, customer_id: str) -> Record:
        """The customer, locked until the unit of work ends; CustomerNotFound if none."""
        return await self.find(customer_id, for_update=True)

    async def lock_for_change(self, customer_id: str) -> Record:
        """The customer, locked, to be changed: CustomerRedacted once its data is erased."""
        customer = await self.lock(customer_id)
        if customer["redacted_at"] is not None:
            raise CustomerRedacted()
        return customer

    async def find(self, customer_id: str, *, for_update: bool = False) -> Record:
        row = None
        if is_valid_id(customer_id, "cus"):
            row = await self.customers.get(customer_id, for_update=for_update)
        if row is None:
            raise CustomerNotFound(customer_id)
        return row

    async def release_default_address(self, customer_id: str) -> None:
        """Before another address becomes the default: the current one stops being it."""
        current = await self.addresses.default_of(customer_id)
        if current is not None:
            await self.change_address(current, {"is_default": False})

    async def change_address(self, current: Record, sent: dict[str, Any]) -> Record:
        """An address's sent values written, with its ``address.updated`` event."""
        row = await apply_changes(self.addresses, current, sent)
        await self.events.updated("address", render_address(current), render_address(row))
        return row

    async def mirror_address(self, customer: Record, default: Record | None) -> Record:
        """The customer's ``address`` follows ``default`` (None: it has no default)."""
        return await self._set(customer, "address", address_mirror(default))

    async def require_active_payment_method(self, customer_id: str, payment_method_id: str) -> None:
        prefix = payment_method_id.partition("_")[0]
        valid = prefix in PAYMENT_METHOD_TYPES.values() and is_valid_id(payment_method_id, prefix)
        if not valid or not await self.payment_methods.is_active(customer_id, payment_method_id):
            raise InvalidRequest.for_field(
                "payment_method", "must be an active payment method of this customer, or null"
            )

    async def make_default_payment_method(self, customer: Record, payment_method_id: str) -> None:
        await self._set(customer, "payment_method_id", payment_method_id)

    async def forget_payment_method(self, customer: Record, payment_method_id: str) -> None:
        """A payment method revoked or deleted is no longer the customer's default."""
        if customer["payment_method_id"] == payment_method_id:
            await self._set(customer, "payment_method_id", None)

    async def _set(self, customer: Record, column: str, value: Any) -> Record:
        if customer[column] == value:
            return customer
        changes = {column: value, "version": customer["version"] + 1, "updated_at": utcnow()}
        updated = await self.customers.update(customer["id"], changes)
        await self.events.updated("customer", render_customer(customer), render_customer(updated))
        return updated
