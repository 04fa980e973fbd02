"""Business rules: contacts validated, archived instead of deleted."""

from __future__ import annotations

from typing import Any

from mteja.businesses.repository import BusinessRepository
from mteja.businesses.schemas import (
    BusinessCreate,
    BusinessUpdate,
    business_etag,
    contacts_value,
    render_business,
)
from mteja.core.errors import NotFound
from mteja.core.ids import new_id_at
from mteja.customers.children import ChildService, apply_changes
from mteja.customers.records import CustomerRecords
from mteja.db.sql import Record
from mteja.events.service import EventRecorder


class BusinessNotFound(NotFound):
    default_message = "No such business."


class BusinessService(ChildService):
    repository = BusinessRepository
    prefixes = ("biz",)
    not_found = BusinessNotFound

    async def create(self, customer_id: str, body: BusinessCreate) -> Record:
        business_id, created_at = new_id_at("biz")
        async with self.db.write() as conn:
            await CustomerRecords(conn, self.account_id).lock(customer_id)
            row = await BusinessRepository(conn, self.account_id).insert(
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
            await EventRecorder(conn, self.account_id).created("business", render_business(row))
        return row

    async def update(
        self, customer_id: str, business_id: str, body: BusinessUpdate, *, if_match: str | None
    ) -> Record:
        sent: dict[str, Any] = {name: getattr(body, name) for name in body.model_fields_set}
        if "contacts" in sent:
            sent["contacts"] = contacts_value(body.contacts)
        async with self.db.write() as conn:
            await CustomerRecords(conn, self.account_id).lock(customer_id)
            repo = BusinessRepository(conn, self.account_id)
            current = await self.find(
                repo,
                customer_id,
                business_id,
                for_update=True,
                if_match=if_match,
                etag=business_etag,
            )
            row = await apply_changes(repo, current, sent)
            await EventRecorder(conn, self.account_id).updated(
                "business", render_business(current), render_business(row)
            )
        return row
