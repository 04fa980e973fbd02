"""Reading events back: one, a page, a customer's timeline; and retention."""

from __future__ import annotations

from datetime import datetime

from mteja.core.context import Caller
from mteja.core.errors import NotFound
from mteja.core.ids import is_valid_id
from mteja.core.paging import Page, Window, page_from_rows
from mteja.db.sql import Conn, Record
from mteja.db.uow import UnitOfWork
from mteja.events.repository import EventRepository, UnscopedEventPruner


class EventNotFound(NotFound):
    default_message = "No such event."


class EventService:
    def __init__(self, uow: UnitOfWork, caller: Caller) -> None:
        self.uow = uow
        self.caller = caller

    async def get(self, event_id: str) -> Record:
        if not is_valid_id(event_id, "evt"):
            raise EventNotFound()
        row = await self._repository(await self.uow.read()).get(event_id)
        if row is None:
            raise EventNotFound(f"No such event: '{event_id}'.")
        return row

    async def list(
        self, types: tuple[str, ...], window: Window, *, customer_id: str | None = None
    ) -> Page[Record]:
        """Events, newest first by default; with ``customer_id``, those about that customer
        and its sub-resources (a deleted customer's too)."""
        repo = self._repository(await self.uow.read())
        rows = await repo.list(types, window, customer_id=customer_id)
        return page_from_rows(rows, window.limit, lambda row: str(row["id"]))

    async def list_of_customer(self, customer_id: str, window: Window) -> Page[Record]:
        return await self.list((), window, customer_id=customer_id)

    def _repository(self, conn: Conn) -> EventRepository:
        return EventRepository(conn, self.caller.account_id)


async def accounts_with_events_before(uow: UnitOfWork, before: datetime) -> list[str]:
    """Retention, first step: the accounts that have events created before ``before``."""
    return await UnscopedEventPruner(await uow.read()).accounts_older_than(before)


async def prune_events(uow: UnitOfWork, account_id: str, before: datetime) -> int:
    """Retention: deletes the account's events created before ``before``."""
    return await UnscopedEventPruner(await uow.write()).delete_older_than(account_id, before)
