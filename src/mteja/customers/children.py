"""What the services of a customer's sub-resources share: lookups, lists, If-Match.

Addresses, businesses and payment methods live under ``/customers/{id}/…``: a list of an
unknown customer is 404, an id of another customer (or account) is 404, and every write
first locks the customer, which serialises changes to its defaults.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from mteja.core.errors import NotFound, PreconditionFailed
from mteja.core.etags import matches_etag
from mteja.core.ids import is_valid_id
from mteja.core.paging import Page, Window, page_from_rows
from mteja.core.time import utcnow
from mteja.core.values import same_value
from mteja.customers.records import CustomerRecords
from mteja.db.children import ChildRepository
from mteja.db.engine import Database
from mteja.db.sql import Record


class ChildService:
    repository: ClassVar[type[ChildRepository]]
    prefixes: ClassVar[tuple[str, ...]]
    not_found: ClassVar[type[NotFound]]

    def __init__(self, db: Database, account_id: str) -> None:
        self.db = db
        self.account_id = account_id

    async def get(self, customer_id: str, child_id: str) -> Record:
        async with self.db.read() as conn:
            return await self.find(self.repository(conn, self.account_id), customer_id, child_id)

    async def list(
        self, customer_id: str, statuses: tuple[str, ...], window: Window
    ) -> Page[Record]:
        async with self.db.read() as conn:
            await CustomerRecords(conn, self.account_id).find(customer_id)
            rows = await self.repository(conn, self.account_id).list(customer_id, statuses, window)
        return page_from_rows(rows, window.limit, lambda row: str(row["id"]))

    async def find(
        self,
        repo: ChildRepository,
        customer_id: str,
        child_id: str,
        *,
        for_update: bool = False,
        if_match: str | None = None,
        etag: Callable[[Record], str] | None = None,
    ) -> Record:
        prefix = child_id.partition("_")[0]
        if not (prefix in self.prefixes and is_valid_id(child_id, prefix)):
            # Not repeated: a path segment can hold anything, even a card number.
            raise self.not_found()
        row = await repo.get(customer_id, child_id, for_update=for_update)
        if row is None:
            raise self.not_found(f"{self.not_found.default_message[:-1]}: '{child_id}'.")
        if etag is not None and not matches_etag(if_match, etag(row)):
            raise PreconditionFailed()
        return row


async def apply_changes(repo: ChildRepository, current: Record, sent: dict[str, Any]) -> Record:
    """Writes the sent values that differ; a PATCH that changes nothing writes nothing."""
    changes = {name: value for name, value in sent.items() if not same_value(current[name], value)}
    if not changes:
        return current
    changes["version"] = current["version"] + 1
    changes["updated_at"] = utcnow()
    return await repo.update(current["id"], changes)
