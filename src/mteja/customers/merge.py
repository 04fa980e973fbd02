"""Merging two customers into one (API.md section 10), in the caller's unit of work.

Both customers are locked first, in id order, so that two merges crossing each other wait
instead of deadlocking, and a PATCH or a sub-resource write of either side waits for the
merge (and then finds the source gone: 404). The source's addresses, businesses and payment
methods move to the target keeping their ids; the target keeps its defaults and takes the
source's where it has none; the target's phone, external id and custom_data keys win over
the source's; the source is deleted, which frees its email and external id.
"""

from __future__ import annotations

from typing import Any

from mteja.core.context import Caller
from mteja.core.errors import InvalidRequest
from mteja.core.ids import is_valid_id
from mteja.core.time import utcnow
from mteja.core.validation import check_custom_data
from mteja.customers.addresses.schemas import render_address
from mteja.customers.aggregate import CustomerAggregate, address_mirror
from mteja.customers.businesses.repository import BusinessRepository
from mteja.customers.businesses.schemas import render_business
from mteja.customers.errors import CustomerNotFound, CustomerRedacted
from mteja.customers.payment_methods.schemas import render_payment_method
from mteja.customers.repository import derived_columns
from mteja.customers.schemas import render_customer
from mteja.db.sql import Record
from mteja.db.uow import UnitOfWork
from mteja.events.history import EventHistory
from mteja.events.recorder import changed_attributes
from mteja.kit.render import Renderer
from mteja.kit.repository import OwnedRepository

SOURCE = "source_customer_id"


class SourceNotFound(CustomerNotFound):
    def __init__(self, customer_id: str) -> None:
        super().__init__(customer_id)
        self.param = SOURCE


class CustomerMerge:
    def __init__(self, uow: UnitOfWork, caller: Caller) -> None:
        self.uow = uow
        self.caller = caller

    async def merge(self, target_id: str, source_id: str) -> Record:
        """The target after the merge."""
        if source_id == target_id:
            raise InvalidRequest.for_field(SOURCE, "must be another customer than the target")
        conn = await self.uow.write()
        aggregate = CustomerAggregate(conn, self.caller)
        target, source = await _lock_both(aggregate, target_id, source_id)
        changes = taken_from(source, target)
        target_default = await aggregate.addresses.default_of(target_id)
        owned: list[tuple[str, OwnedRepository, Renderer]] = [
            ("address", aggregate.addresses, render_address),
            ("business", BusinessRepository(conn, self.caller.account_id), render_business),
            ("payment_method", aggregate.payment_methods, render_payment_method),
        ]
        now = utcnow()
        for resource, repo, render in owned:
            for row in await repo.of_parent(source_id):
                moved: dict[str, Any] = {"customer_id": target_id}
                if resource == "address" and row["is_default"]:
                    if target_default is None:
                        changes["address"] = address_mirror(row)
                    else:
                        moved["is_default"] = False
                moved.update(version=row["version"] + 1, updated_at=now)
                moved_row = await repo.update(row["id"], moved)
                await aggregate.events.updated(resource, render(row), render(moved_row))
        if target["payment_method_id"] is None and source["payment_method_id"] is not None:
            changes["payment_method_id"] = source["payment_method_id"]
        # The sub-resources' history follows them to their new customer.
        await EventHistory(self.uow, self.caller).move_owned(source_id, target_id)
        await aggregate.customers.delete(source_id)
        await aggregate.events.deleted(
            "customer", render_customer(source), data={"merged_into": target_id}
        )
        merged = target
        if "phone" in changes:
            changes.update(derived_columns(target["name"], target["email"], changes["phone"]))
        if changes:
            changes.update(version=target["version"] + 1, updated_at=now)
            merged = await aggregate.customers.update(target_id, changes)
        merged_object = render_customer(merged)
        await aggregate.events.record(
            "customer.merged",
            "customer",
            merged_object,
            previous=changed_attributes(render_customer(target), merged_object),
            data={"source": render_customer(source)},
        )
        return merged


async def _lock_both(
    aggregate: CustomerAggregate, target_id: str, source_id: str
) -> tuple[Record, Record]:
    if not is_valid_id(source_id, "cus"):
        raise SourceNotFound(source_id)
    locked: dict[str, Record] = {}
    for customer_id in sorted((target_id, source_id)):
        try:
            locked[customer_id] = await aggregate.lock(customer_id)
        except CustomerNotFound:
            if customer_id == source_id:
                raise SourceNotFound(source_id) from None
            raise
    target, source = locked[target_id], locked[source_id]
    if target["redacted_at"] is not None or source["redacted_at"] is not None:
        raise CustomerRedacted()
    return target, source


def taken_from(source: Record, target: Record) -> dict[str, Any]:
    """What the target takes of the source: each of phone, external id and custom_data key
    that it lacks. A custom_data union past its limits is refused before anything moves."""
    changes: dict[str, Any] = {}
    for column in ("phone", "external_id"):
        if target[column] is None and source[column] is not None:
            changes[column] = source[column]
    theirs, ours = source["custom_data"] or {}, target["custom_data"] or {}
    if theirs.keys() - ours.keys():
        union = {**theirs, **ours}
        try:
            changes["custom_data"] = check_custom_data(union)
        except ValueError as error:
            raise InvalidRequest.for_field(
                "custom_data", f"the merged custom_data {error}"
            ) from None
    return changes
