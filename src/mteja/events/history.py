"""A customer's history as a whole: read from the first event on (data-subject exports),
rewritten (redaction), or handed to another customer (merge). Recording new events is
``events.recorder``'s alone."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

from mteja.core.context import Caller
from mteja.core.paging import Window
from mteja.db.sql import Record
from mteja.db.uow import UnitOfWork
from mteja.events.repository import EventRepository

# Rows per statement: a history of any length is read and rewritten in constant memory.
PAGE = 500


class EventHistory:
    def __init__(self, uow: UnitOfWork, caller: Caller) -> None:
        self.uow = uow
        self.caller = caller

    async def of_customer(self, customer_id: str) -> AsyncIterator[Record]:
        """Every event about the customer and its sub-resources, oldest first, a page at a
        time. Each page asks the unit for its connection again: a streamed response reads
        after the unit gave its first one back."""
        after: str | None = None
        while True:
            repo = EventRepository(await self.uow.read(), self.caller.account_id)
            window = Window(limit=PAGE, order="asc", after=after)
            rows = await repo.list((), window, customer_id=customer_id)
            for row in rows[:PAGE]:
                yield row
            if len(rows) <= PAGE:
                return
            after = str(rows[PAGE - 1]["id"]).partition("_")[2]

    async def move_owned(self, from_customer: str, to_customer: str) -> None:
        """The events of the sub-resources that a merge moves now belong to their new
        customer's timeline; the customer's own events stay with it."""
        repo = EventRepository(await self.uow.write(), self.caller.account_id)
        await repo.move_owned(from_customer, to_customer)

    async def rewrite(
        self, customer_id: str, rewritten: Callable[[Record], dict[str, Any]]
    ) -> None:
        """Replaces the data of every event about the customer with ``rewritten(event)``."""
        repo = EventRepository(await self.uow.write(), self.caller.account_id)
        after: str | None = None
        while True:
            window = Window(limit=PAGE, order="asc", after=after)
            rows = await repo.list((), window, customer_id=customer_id)
            page = rows[:PAGE]
            await repo.rewrite([(row["id"], rewritten(row)) for row in page])
            if len(rows) <= PAGE:
                return
            after = str(page[-1]["id"]).partition("_")[2]
