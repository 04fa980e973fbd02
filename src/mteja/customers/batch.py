"""Batch create (API.md section 11): up to 100 customers in one request, each item
answered as the single create would answer it, had the items been sent one by one in
order.

Items are checked with the single create's own model and value builder
(``service.new_customer``). Uniqueness is decided here, in order, against what the account
already holds (one read of the batch's emails and external ids) and what earlier items
of the batch take, so that of two items with one email the first is created and the
second refused, naming the first. The survivors are then written as multi-row
statements: the customers, their first addresses, and every ``*.created`` event, one
statement each, in the unit of work's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from mteja.core.context import Caller
from mteja.core.errors import InvalidRequest, MtejaError, ValidationFailed, field_error
from mteja.customers.addresses.repository import AddressRepository
from mteja.customers.addresses.schemas import render_address
from mteja.customers.errors import CustomerAlreadyExists
from mteja.customers.repository import CustomerRepository
from mteja.customers.schemas import CustomerCreate, render_customer
from mteja.customers.service import already_exists, new_customer
from mteja.db.sql import Conn, Record
from mteja.db.uow import UnitOfWork
from mteja.events.recorder import EventRecorder

MAX_BATCH = 100


@dataclass(frozen=True, slots=True)
class ItemResult:
    """One item's outcome: the stored customer, or the error a single create would give."""

    customer: Record | None = None
    error: MtejaError | None = None


@dataclass(frozen=True, slots=True)
class _New:
    index: int
    values: dict[str, Any]
    address: dict[str, Any] | None


class CustomerBatch:
    def __init__(self, uow: UnitOfWork, caller: Caller) -> None:
        self.uow = uow
        self.caller = caller

    async def create(self, items: Sequence[dict[str, Any]]) -> list[ItemResult]:
        results: list[ItemResult] = [ItemResult() for _ in items]
        candidates: list[_New] = []
        for index, item in enumerate(items):
            try:
                values, address = new_customer(CustomerCreate.model_validate(item))
            except ValidationError as error:
                problems = [field_error(dict(detail)) for detail in error.errors()]
                results[index] = ItemResult(error=ValidationFailed(problems))
            except InvalidRequest as error:
                results[index] = ItemResult(error=error)
            else:
                candidates.append(_New(index, values, address))
        if not candidates:
            return results
        conn = await self.uow.write_many()
        repo = CustomerRepository(conn, self.caller.account_id)
        accepted = await self._in_order(repo, candidates, results)
        stored = await repo.insert_many([new.values for new in accepted]) if accepted else {}
        written: list[_New] = []
        for new in accepted:
            row = stored.get(new.values["id"])
            if row is None:
                # Taken by a concurrent request since the read: answered as a single create
                # that lost the same race is.
                results[new.index] = ItemResult(error=await already_exists(repo, new.values))
            else:
                results[new.index] = ItemResult(customer=row)
                written.append(new)
        await self._write_addresses_and_events(written, conn)
        return results

    async def _in_order(
        self, repo: CustomerRepository, candidates: list[_New], results: list[ItemResult]
    ) -> list[_New]:
        """The candidates that would be created if sent one by one in order; the others'
        results set to the 409 each would get."""
        email_keys = list(dict.fromkeys(new.values["email_key"] for new in candidates))
        external = [new.values["external_id"] for new in candidates]
        external_ids = list(dict.fromkeys(value for value in external if value is not None))
        by_email, by_external_id = await repo.owners(email_keys, external_ids)
        accepted: list[_New] = []
        for new in candidates:
            email_key, external_id = new.values["email_key"], new.values["external_id"]
            owner = by_email.get(email_key)
            if owner is not None:
                results[new.index] = ItemResult(error=CustomerAlreadyExists(owner))
                continue
            owner = by_external_id.get(external_id) if external_id is not None else None
            if owner is not None:
                error = CustomerAlreadyExists(owner, field="external_id")
                results[new.index] = ItemResult(error=error)
                continue
            by_email[email_key] = new.values["id"]
            if external_id is not None:
                by_external_id[external_id] = new.values["id"]
            accepted.append(new)
        return accepted

    async def _write_addresses_and_events(self, written: list[_New], conn: Conn) -> None:
        account_id = self.caller.account_id
        addresses = [new.address for new in written if new.address is not None]
        await AddressRepository(conn, account_id).insert_many(addresses)
        created: list[tuple[str, dict[str, Any]]] = []
        for new in written:
            created.append(("customer", render_customer(new.values)))
            if new.address is not None:
                created.append(("address", render_address(new.address)))
        await EventRecorder(conn, self.caller).created_many(created)
