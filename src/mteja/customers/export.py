"""Everything mteja holds about one person, for data-subject access and portability
requests (API.md section 10): the customer, its addresses, businesses and payment methods
(archived and revoked included) and every event about them, oldest first.

Each list is read a page at a time while the response is being sent, so the memory an
export takes does not grow with the customer's history.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import orjson

from mteja.core.context import Caller
from mteja.core.paging import Window
from mteja.customers.addresses.repository import AddressRepository
from mteja.customers.addresses.schemas import render_address
from mteja.customers.aggregate import CustomerAggregate
from mteja.customers.businesses.repository import BusinessRepository
from mteja.customers.businesses.schemas import render_business
from mteja.customers.payment_methods.repository import PaymentMethodRepository
from mteja.customers.payment_methods.schemas import render_payment_method
from mteja.customers.schemas import render_customer
from mteja.db.uow import UnitOfWork
from mteja.events.history import EventHistory
from mteja.events.schemas import render_event
from mteja.kit.render import Renderer
from mteja.kit.repository import OwnedRepository

PAGE = 500


@dataclass(frozen=True, slots=True)
class PersonExport:
    customer: dict[str, Any]
    # In the document's order: addresses, businesses, payment_methods, events.
    sections: tuple[tuple[str, AsyncIterator[dict[str, Any]]], ...]


class CustomerExport:
    def __init__(self, uow: UnitOfWork, caller: Caller) -> None:
        self.uow = uow
        self.caller = caller

    async def of(self, customer_id: str) -> PersonExport:
        """The customer now (404 if there is none); the rest as the document is written."""
        customer = await CustomerAggregate(await self.uow.read(), self.caller).find(customer_id)
        return PersonExport(
            customer=render_customer(customer),
            sections=(
                ("addresses", self._owned(AddressRepository, render_address, customer_id)),
                ("businesses", self._owned(BusinessRepository, render_business, customer_id)),
                (
                    "payment_methods",
                    self._owned(PaymentMethodRepository, render_payment_method, customer_id),
                ),
                ("events", self._events(customer_id)),
            ),
        )

    async def _owned(
        self, repository: type[OwnedRepository], render: Renderer, customer_id: str
    ) -> AsyncIterator[dict[str, Any]]:
        after: str | None = None
        while True:
            repo = repository(await self.uow.read(), self.caller.account_id)
            rows = await repo.list(customer_id, (), Window(limit=PAGE, order="asc", after=after))
            for row in rows[:PAGE]:
                yield render(row)
            if len(rows) <= PAGE:
                return
            after = str(rows[PAGE - 1]["id"]).partition("_")[2]

    async def _events(self, customer_id: str) -> AsyncIterator[dict[str, Any]]:
        async for event in EventHistory(self.uow, self.caller).of_customer(customer_id):
            yield render_event(event)


async def export_document(export: PersonExport) -> AsyncIterator[bytes]:
    """The document a section at a time, each item as it is read."""
    yield b'{"customer":' + orjson.dumps(export.customer)
    for name, items in export.sections:
        yield b',"' + name.encode() + b'":['
        separator = b""
        async for item in items:
            yield separator + orjson.dumps(item)
            separator = b","
        yield b"]"
    yield b"}"
