"""Address rules: one default per customer, and the customer's ``address`` mirrors it.

``AddressRules`` works inside a caller's transaction, so that creating or patching a
customer with ``address`` runs exactly the code the address routes run.
"""

from __future__ import annotations

from typing import Any

from mteja.addresses.repository import AddressRepository
from mteja.addresses.schemas import (
    ADDRESS_FIELDS,
    AddressCreate,
    AddressPatch,
    AddressUpdate,
    address_etag,
    mirror_of,
    render_address,
)
from mteja.core.errors import InvalidRequest, NotFound
from mteja.core.ids import new_id_at
from mteja.customers.children import ChildService, apply_changes
from mteja.customers.records import CustomerRecords
from mteja.db.sql import Conn, Record
from mteja.events.service import EventRecorder


class AddressNotFound(NotFound):
    default_message = "No such address."


class AddressRules:
    def __init__(self, conn: Conn, account_id: str) -> None:
        self.repo = AddressRepository(conn, account_id)
        self.events = EventRecorder(conn, account_id)

    async def create(
        self,
        customer_id: str,
        fields: dict[str, Any],
        *,
        description: str | None = None,
        custom_data: dict[str, Any] | None = None,
        default: bool,
    ) -> Record:
        address_id, created_at = new_id_at("add")
        if default:
            await self.unset_default(customer_id)
        values = {
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
        row = await self.repo.insert(values)
        await self.events.created("address", render_address(row))
        return row

    async def patch_default(self, customer_id: str, patch: AddressPatch) -> dict[str, Any]:
        """Changes the default address in place, or creates one; its new mirror."""
        current = await self.repo.default_of(customer_id)
        sent = {name: getattr(patch, name) for name in patch.model_fields_set}
        if current is None:
            if "country" not in sent:
                raise InvalidRequest.for_field(
                    "address.country", "required when the customer has no address yet"
                )
            return _mirror(await self.create(customer_id, sent, default=True))
        return _mirror(await self._apply(current, sent))

    async def unset_default(self, customer_id: str) -> None:
        current = await self.repo.default_of(customer_id)
        if current is not None:
            await self._apply(current, {"is_default": False})

    async def update(self, current: Record, body: AddressUpdate) -> Record:
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
            await self.unset_default(current["customer_id"])
        sent["is_default"] = make_default
        return await self._apply(current, sent)

    async def _apply(self, current: Record, sent: dict[str, Any]) -> Record:
        row = await apply_changes(self.repo, current, sent)
        await self.events.updated("address", render_address(current), render_address(row))
        return row


def _mirror(row: Record) -> dict[str, Any]:
    mirror = mirror_of(row)
    assert mirror is not None
    return mirror


class AddressService(ChildService):
    repository = AddressRepository
    prefixes = ("add",)
    not_found = AddressNotFound

    async def create(self, customer_id: str, body: AddressCreate) -> Record:
        async with self.db.write() as conn:
            customers = CustomerRecords(conn, self.account_id)
            customer = await customers.lock(customer_id)
            fields = {name: getattr(body, name) for name in ADDRESS_FIELDS}
            row = await AddressRules(conn, self.account_id).create(
                customer_id,
                fields,
                description=body.description,
                custom_data=body.custom_data,
                default=body.default,
            )
            if row["is_default"]:
                await customers.set_address(customer, mirror_of(row))
        return row

    async def update(
        self, customer_id: str, address_id: str, body: AddressUpdate, *, if_match: str | None
    ) -> Record:
        async with self.db.write() as conn:
            customers = CustomerRecords(conn, self.account_id)
            customer = await customers.lock(customer_id)
            rules = AddressRules(conn, self.account_id)
            current = await self.find(
                rules.repo,
                customer_id,
                address_id,
                for_update=True,
                if_match=if_match,
                etag=address_etag,
            )
            row = await rules.update(current, body)
            if row["is_default"] or current["is_default"]:
                mirror = mirror_of(row) if row["is_default"] else None
                await customers.set_address(customer, mirror)
        return row
