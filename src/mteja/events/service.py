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
from mteja.events.schemas import EVENT_TYPES


class EventNotFound(NotFound):
    default_message = "No such event."


def parse_event_types(value: str | None) -> tuple[str, ...]:
    """``customer.created,address.*``: exact types and ``resource.*`` wildcards; ValueError
    for anything else."""
    if value is None:
        return ()
    selected: dict[str, None] = {}
    for part in (piece.strip() for piece in value.split(",")):
        if part.endswith(".*"):
            matching = [kind for kind in EVENT_TYPES if kind.startswith(part[:-1])]
        else:
            matching = [part] if part in EVENT_TYPES else []
        if not matching:
            raise ValueError("each must be an event type or a resource.* wildcard")
        selected.update(dict.fromkeys(matching))
    return tuple(selected)


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

    async def list(self, types: tuple[str, ...], window: Window) -> Page[Record]:
        rows = await self._repository(await self.uow.read()).list(types, window)
        return page_from_rows(rows, window.limit, lambda row: str(row["id"]))

    async def list_of_customer(self, customer_id: str, window: Window) -> Page[Record]:
        """The events about one customer and its sub-resources, newest first by default."""
        repo = self._repository(await self.uow.read())
        rows = await repo.list_of_customer(customer_id, window)
        return page_from_rows(rows, window.limit, lambda row: str(row["id"]))

    def _repository(self, conn: Conn) -> EventRepository:
        return EventRepository(conn, self.caller.account_id)


async def prune_events(uow: UnitOfWork, *, before: datetime) -> int:
    """Retention: deletes events of every account created before ``before``."""
    return await UnscopedEventPruner(await uow.write()).delete_older_than(before)
