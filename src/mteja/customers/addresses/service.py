"""Address rules: created active, archived instead of deleted, at most one default per
customer (which the customer's ``address`` mirrors: see ``customers.aggregate``)."""

from __future__ import annotations

from typing import Any

from mteja.core.errors import InvalidRequest, NotFound
from mteja.core.ids import new_id_at
from mteja.customers.addresses.repository import AddressRepository
from mteja.customers.addresses.schemas import (
    ADDRESS_FIELDS,
    AddressCreate,
    AddressPatch,
    AddressUpdate,
    address_etag,
    render_address,
)
from mteja.customers.aggregate import CustomerAggregate
from mteja.db.sql import Conn, Record
from mteja.kit.service import OwnedResourceService


class AddressNotFound(NotFound):
    default_message = "No such address."


def new_address(
    customer_id: str,
    fields: dict[str, Any],
    *,
    default: bool,
    description: str | None = None,
    custom_data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The row of a new address: how both the address routes and a customer created with
    an ``address`` make one."""
    address_id, created_at = new_id_at("add")
    return {
        "id": address_id,
        "customer_id": customer_id,
        "description": description,
        **{name: fields.get(name) for name in ADDRESS_FIELDS},
        "is_default": default,
        "status": "active",
        "custom_data": custom_data,
        "version": 1,
        "created_at": created_at,
        "updated_at": created_at,
    }


class AddressService(OwnedResourceService):
    repository = AddressRepository
    prefixes = ("add",)
    not_found = AddressNotFound

    async def find_parent(self, conn: Conn, parent_id: str) -> Record:
        return await CustomerAggregate(conn, self.caller).find(parent_id)

    async def create(self, customer_id: str, body: AddressCreate) -> Record:
        aggregate = CustomerAggregate(await self.uow.write(), self.caller)
        customer = await aggregate.lock_for_change(customer_id)
        row = await self._insert(
            aggregate,
            new_address(
                customer_id,
                {name: getattr(body, name) for name in ADDRESS_FIELDS},
                default=body.default,
                description=body.description,
                custom_data=body.custom_data,
            ),
        )
        if row["is_default"]:
            await aggregate.mirror_address(customer, row)
        return row

    async def update(
        self, customer_id: str, address_id: str, body: AddressUpdate, *, if_match: str | None
    ) -> Record:
        aggregate = CustomerAggregate(await self.uow.write(), self.caller)
        customer = await aggregate.lock_for_change(customer_id)
        current = await self.find(
            aggregate.addresses,
            customer_id,
            address_id,
            for_update=True,
            if_match=if_match,
            etag=address_etag,
        )
        sent = {name: getattr(body, name) for name in body.model_fields_set}
        status = sent.get("status", current["status"])
        asked = "default" in sent
        make_default = bool(sent.pop("default")) if asked else bool(current["is_default"])
        if status == "archived":
            if asked and make_default:
                raise InvalidRequest.for_field(
                    "default", "an archived address cannot be the default"
                )
            # Archiving the default address leaves the customer without one.
            make_default = False
        if make_default and not current["is_default"]:
            await aggregate.release_default_address(customer_id)
        sent["is_default"] = make_default
        row = await aggregate.change_address(current, sent)
        if row["is_default"] or current["is_default"]:
            await aggregate.mirror_address(customer, row if row["is_default"] else None)
        return row

    async def set_default_fields(self, customer_id: str, patch: AddressPatch) -> Record:
        """For a customer PATCH of ``address`` (the customer locked by the caller): the
        default address changed in place, or created when there is none; the new default.
        The caller mirrors it in the customer's own update."""
        aggregate = CustomerAggregate(await self.uow.write(), self.caller)
        sent = {name: getattr(patch, name) for name in patch.model_fields_set}
        current = await aggregate.addresses.default_of(customer_id)
        if current is not None:
            return await aggregate.change_address(current, sent)
        if "country" not in sent:
            raise InvalidRequest.for_field(
                "address.country", "required when the customer has no address yet"
            )
        return await self._insert(aggregate, new_address(customer_id, sent, default=True))

    async def unset_default(self, customer_id: str) -> None:
        """For a customer PATCH of ``address: null``: the address stays, not the default."""
        aggregate = CustomerAggregate(await self.uow.write(), self.caller)
        await aggregate.release_default_address(customer_id)

    async def _insert(self, aggregate: CustomerAggregate, values: dict[str, Any]) -> Record:
        if values["is_default"]:
            await aggregate.release_default_address(values["customer_id"])
        row = await aggregate.addresses.insert(values)
        await aggregate.events.created("address", render_address(row))
        return row
