"""The outbox as its subscribers see it: what the webhooks domain may read and mark of the
events, without reaching into their tables.

A subscriber announces itself per account (``change_subscribers``: +1 when an endpoint
starts listening, -1 when it stops), which decides whether new events of that account wait
for delivery at all; the worker then finds the accounts with pending events, takes each
account's events, locked against other workers, and marks them dispatched once it has
queued them.
"""

from __future__ import annotations

from collections.abc import Sequence

from mteja.db.sql import Record
from mteja.db.uow import UnitOfWork
from mteja.events.repository import UnscopedOutbox


class Outbox:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    async def change_subscribers(self, account_id: str, delta: int) -> None:
        """In the transaction that enables or disables a subscriber."""
        if delta:
            await UnscopedOutbox(await self.uow.write()).change_subscribers(account_id, delta)

    async def accounts_pending(self, limit: int) -> list[str]:
        """The accounts with events waiting, oldest first. Asked outside a transaction, so
        that an idle worker takes no write lock."""
        return await UnscopedOutbox(await self.uow.read()).accounts_pending(limit)

    async def take_pending(self, account_id: str, limit: int) -> Sequence[Record]:
        """``account_id, id, type, created_at`` of the account's oldest pending events,
        locked until the unit commits; the caller marks them dispatched in the same unit."""
        return await UnscopedOutbox(await self.uow.write()).pending(account_id, limit)

    async def mark_dispatched(self, keys: Sequence[tuple[str, str]]) -> None:
        await UnscopedOutbox(await self.uow.write()).mark_dispatched(keys)

    async def payloads(self, account_id: str, event_ids: Sequence[str]) -> Sequence[Record]:
        """``account_id, id, type, data, created_at`` of the account's events with these ids."""
        return await UnscopedOutbox(await self.uow.read()).payloads(account_id, event_ids)
