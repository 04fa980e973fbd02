"""What the services of owned resources share: lookups, lists, If-Match, partial updates.

An owned resource lives under its parent's path (a customer's addresses, businesses and
payment methods under ``/customers/{id}/…``): a list of an unknown parent is 404, an id of
another parent (or account) is 404. The parent's own service says how a parent is found
(``find_parent``); everything else is the same for every owned resource.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar

from mteja.core.context import Caller
from mteja.core.errors import NotFound, PreconditionFailed
from mteja.core.etags import matches_etag
from mteja.core.ids import is_valid_id
from mteja.core.paging import Page, Window, page_from_rows
from mteja.core.time import utcnow
from mteja.core.values import same_value
from mteja.db.sql import Conn, Record
from mteja.db.uow import UnitOfWork
from mteja.kit.repository import OwnedRepository


class OwnedResourceService(ABC):
    repository: ClassVar[type[OwnedRepository]]
    prefixes: ClassVar[tuple[str, ...]]
    not_found: ClassVar[type[NotFound]]

    def __init__(self, uow: UnitOfWork, caller: Caller) -> None:
        self.uow = uow
        self.caller = caller

    @abstractmethod
    async def find_parent(self, conn: Conn, parent_id: str) -> Record:
        """The parent row; its own NotFound when there is none in the account."""

    async def get(self, parent_id: str, child_id: str) -> Record:
        conn = await self.uow.read()
        return await self.find(self.repository(conn, self.caller.account_id), parent_id, child_id)

    async def list(self, parent_id: str, statuses: tuple[str, ...], window: Window) -> Page[Record]:
        conn = await self.uow.read()
        await self.find_parent(conn, parent_id)
        repo = self.repository(conn, self.caller.account_id)
        rows = await repo.list(parent_id, statuses, window)
        return page_from_rows(rows, window.limit, lambda row: str(row["id"]))

    async def find(
        self,
        repo: OwnedRepository,
        parent_id: str,
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
        row = await repo.get(parent_id, child_id, for_update=for_update)
        if row is None:
            raise self.not_found(f"{self.not_found.default_message[:-1]}: '{child_id}'.")
        if etag is not None and not matches_etag(if_match, etag(row)):
            raise PreconditionFailed()
        return row


async def apply_changes(repo: OwnedRepository, current: Record, sent: dict[str, Any]) -> Record:
    """Writes the sent values that differ; a PATCH that changes nothing writes nothing."""
    changes = {name: value for name, value in sent.items() if not same_value(current[name], value)}
    if not changes:
        return current
    changes["version"] = current["version"] + 1
    changes["updated_at"] = utcnow()
    return await repo.update(current["id"], changes)
