"""Business rules: contacts validated, archived instead of deleted."""

from __future__ import annotations

from typing import Any

from mteja.core.errors import NotFound
from mteja.core.ids import new_id_at
from mteja.customers.aggregate import CustomerAggregate
from mteja.customers.businesses.repository import BusinessRepository
from mteja.customers.businesses.schemas import (
    BusinessCreate,
    BusinessUpdate,
    business_etag,
    contacts_value,
    render_business,
)
from mteja.db.sql import Conn, Record
from mteja.events.recorder import EventRecorder
from mteja.kit.service import OwnedResourceService, apply_changes


class BusinessNotFound(NotFound):
    default_message = "No such business."


class BusinessService(OwnedResourceService):
    repository = BusinessRepository
    prefixes = ("biz",)
    not_found = BusinessNotFound

    async def find_parent(self, conn: Conn, parent_id: str) -> Record:
        return await CustomerAggregate(conn, self.caller).find(parent_id)

    async def create(self, customer_id: str, body: BusinessCreate) -> Record:
        business_id, created_at = new_id_at("biz")
        conn = await self.uow.write()
        await CustomerAggregate(conn, self.caller).lock_for_change(customer_id)
        row = await BusinessRepository(conn, self.caller.account_id).insert(
            {
                "id": business_id,
                "customer_id": customer_id,
                "name": body.name,
                "company_number": body.company_number,
                "tax_identifier": body.tax_identifier,
                "contacts": contacts_value(body.contacts),
                "status": "active",
                "custom_data": body.custom_data,
                "version": 1,
                "created_at": created_at,
                "updated_at": created_at,
            }
        )
        await EventRecorder(conn, self.caller).created("business", render_business(row))
        return row

    async def update(
        self, customer_id: str, business_id: str, body: BusinessUpdate, *, if_match: str | None
    ) -> Record:
        sent: dict[str, Any] = {name: getattr(body, name) for name in body.model_fields_set}
        if "contacts" in sent:
            sent["contacts"] = contacts_value(body.contacts)
        conn = await self.uow.write()
        await CustomerAggregate(conn, self.caller).lock_for_change(customer_id)
        repo = BusinessRepository(conn, self.caller.account_id)
        current = await self.find(
            repo, customer_id, business_id, for_update=True, if_match=if_match, etag=business_etag
        )
        row = await apply_changes(repo, current, sent)
        await EventRecorder(conn, self.caller).updated(
            "business", render_business(current), render_business(row)
        )
        return row
