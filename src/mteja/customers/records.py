"""What other domains' services may do to a customer inside their own transaction.

Addresses keep the customer's ``address`` in step with its default address, payment
methods its ``payment_method``. Both first lock the customer row, which serialises every
change to one customer's defaults (PostgreSQL ``FOR UPDATE``; SQLite writes are serial).
"""

from __future__ import annotations

from typing import Any

from mteja.core.ids import is_valid_id
from mteja.core.time import utcnow
from mteja.customers.errors import CustomerNotFound
from mteja.customers.repository import CustomerRepository
from mteja.customers.schemas import render_customer
from mteja.db.sql import Conn, Record
from mteja.events.service import EventRecorder


class CustomerRecords:
    def __init__(self, conn: Conn, account_id: str) -> None:
        self._repo = CustomerRepository(conn, account_id)
        self._events = EventRecorder(conn, account_id)

    async def lock(self, customer_id: str) -> Record:
        """The customer, locked until the transaction ends; CustomerNotFound if none."""
        return await self.find(customer_id, for_update=True)

    async def find(self, customer_id: str, *, for_update: bool = False) -> Record:
        row = None
        if is_valid_id(customer_id, "cus"):
            row = await self._repo.get(customer_id, for_update=for_update)
        if row is None:
            raise CustomerNotFound(customer_id)
        return row

    async def set_address(self, customer: Record, mirror: dict[str, Any] | None) -> Record:
        return await self._change(customer, "address", mirror)

    async def set_payment_method(self, customer: Record, payment_method_id: str | None) -> Record:
        return await self._change(customer, "payment_method_id", payment_method_id)

    async def _change(self, customer: Record, column: str, value: Any) -> Record:
        if customer[column] == value:
            return customer
        changes = {column: value, "version": customer["version"] + 1, "updated_at": utcnow()}
        updated = await self._repo.update(customer["id"], changes)
        await self._events.updated("customer", render_customer(customer), render_customer(updated))
        return updated
