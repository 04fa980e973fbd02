"""Erasing a customer's personal data for good (API.md section 10), in one unit of work.

The customer keeps its id, ``created_at`` and the ids of its sub-resources, so that
invoices and ledgers still join; everything personal goes, from the rows, from every event
ever written about it (which is also what webhooks still queued will send), and from the
stored responses of idempotent requests. One ``customer.redacted`` event says it happened.

What is personal, resource by resource, is written once here, for a row and for its wire
object alike (events hold wire objects).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from mteja.core.context import Caller
from mteja.core.time import utcnow
from mteja.customers.addresses.schemas import ADDRESS_FIELDS
from mteja.customers.aggregate import CustomerAggregate
from mteja.customers.businesses.repository import BusinessRepository
from mteja.customers.repository import derived_columns
from mteja.customers.schemas import render_customer
from mteja.db.sql import Conn, Record
from mteja.db.uow import UnitOfWork
from mteja.events.history import EventHistory
from mteja.idempotency.service import IdempotencyService

REDACTED = "redacted"
_ADDRESS_LINES = tuple(name for name in ADDRESS_FIELDS if name != "country")


def redacted_email(customer_id: str) -> str:
    """Unique like the email it replaces, and never deliverable (``.invalid``)."""
    return f"redacted+{customer_id.partition('_')[2]}@redacted.invalid"


def _address(address: dict[str, Any] | None) -> dict[str, Any] | None:
    """A customer's ``address``: the country stays, the lines go."""
    if address is None:
        return None
    return {**address, **dict.fromkeys(_ADDRESS_LINES)}


def redact_customer(customer: dict[str, Any]) -> dict[str, Any]:
    return {
        **customer,
        "name": REDACTED,
        "email": redacted_email(customer["id"]),
        "phone": None,
        "external_id": None,
        "custom_data": None,
        "address": _address(customer.get("address")),
    }


def redact_address(address: dict[str, Any]) -> dict[str, Any]:
    return {**address, **dict.fromkeys(_ADDRESS_LINES), "description": None, "custom_data": None}


def redact_business(business: dict[str, Any]) -> dict[str, Any]:
    return {
        **business,
        "name": REDACTED,
        "company_number": None,
        "tax_identifier": None,
        "contacts": [],
        "custom_data": None,
    }


def redact_details(kind: str, details: dict[str, Any]) -> dict[str, Any]:
    """A payment method's own object: a number and a holder's name are personal."""
    if kind == "mobile_money":
        return {**details, "phone": None}
    if kind == "bank_account":
        return {**details, "account_holder_name": None}
    return dict(details)


def redact_payment_method(method: dict[str, Any]) -> dict[str, Any]:
    kind = method["type"]
    return {**method, kind: redact_details(kind, method[kind]), "custom_data": None}


_OBJECTS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "customer": redact_customer,
    "address": redact_address,
    "business": redact_business,
    "payment_method": redact_payment_method,
}


def redact_event_data(event: Record) -> dict[str, Any]:
    """An event about the customer, as it would have been without personal data: the
    object redacted, no ``previous_attributes`` left to tell what it was."""
    data = dict(event["data"])
    resource = str(event["type"]).partition(".")[0]
    data["object"] = _OBJECTS[resource](data["object"])
    if data.get("previous_attributes") is not None:
        data["previous_attributes"] = {}
    if "source" in data:  # customer.merged: the customer it absorbed
        data["source"] = redact_customer(data["source"])
    return data


class CustomerRedaction:
    def __init__(self, uow: UnitOfWork, caller: Caller) -> None:
        self.uow = uow
        self.caller = caller

    async def redact(self, customer_id: str) -> Record:
        """The redacted customer. A customer redacted already is answered as it is."""
        conn = await self.uow.write()
        aggregate = CustomerAggregate(conn, self.caller)
        customer = await aggregate.lock(customer_id)
        if customer["redacted_at"] is not None:
            return customer
        now = utcnow()
        owned_ids = await self._redact_owned(aggregate, conn, customer_id, now)
        redacted = await aggregate.customers.update(customer_id, _customer_values(customer, now))
        await EventHistory(self.uow, self.caller).rewrite(customer_id, redact_event_data)
        await IdempotencyService(self.uow, self.caller.account_id).forget_responses_mentioning(
            [customer_id, *owned_ids]
        )
        await aggregate.events.record(
            "customer.redacted", "customer", render_customer(redacted), previous={}
        )
        return redacted

    async def _redact_owned(
        self, aggregate: CustomerAggregate, conn: Conn, customer_id: str, now: datetime
    ) -> list[str]:
        """Every address, business and payment method of the customer, erased; their ids."""
        ids: list[str] = []
        for row in await aggregate.addresses.of_parent(customer_id):
            values = {**dict.fromkeys(_ADDRESS_LINES), "description": None, "custom_data": None}
            await aggregate.addresses.update(row["id"], _bumped(row, values, now))
            ids.append(row["id"])
        businesses = BusinessRepository(conn, self.caller.account_id)
        for row in await businesses.of_parent(customer_id):
            values = {
                "name": REDACTED,
                "company_number": None,
                "tax_identifier": None,
                "contacts": [],
                "custom_data": None,
            }
            await businesses.update(row["id"], _bumped(row, values, now))
            ids.append(row["id"])
        for row in await aggregate.payment_methods.of_parent(customer_id):
            values = {
                "status": "revoked",
                "details": redact_details(row["type"], row["details"]),
                "processor_token": None,
                "phone": None,
                "custom_data": None,
            }
            await aggregate.payment_methods.update(row["id"], _bumped(row, values, now))
            ids.append(row["id"])
        return ids


def _bumped(row: Record, values: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {**values, "version": row["version"] + 1, "updated_at": now}


def _customer_values(customer: Record, now: datetime) -> dict[str, Any]:
    email = redacted_email(customer["id"])
    return {
        "name": REDACTED,
        "email": email,
        "phone": None,
        "external_id": None,
        "custom_data": None,
        "status": "inactive",
        "address": _address(customer["address"]),
        # Revoked with the rest of its payment methods.
        "payment_method_id": None,
        **derived_columns(REDACTED, email, None),
        # Nothing left to find it by: it is nobody's duplicate any more.
        "email_match_key": None,
        "name_key": None,
        "redacted_at": now,
        "version": customer["version"] + 1,
        "updated_at": now,
    }
