"""The server's background housekeeping: event retention, idempotency-key expiry, and the
rows of ended dashboard sessions."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import structlog

from mteja.accounts.sessions import prune_sessions
from mteja.core.time import utcnow
from mteja.db.engine import DATABASE_ERRORS, Database
from mteja.db.uow import UnitOfWork
from mteja.events.service import accounts_with_events_before, prune_events
from mteja.idempotency.service import (
    accounts_with_keys_before,
    expire_idempotency_keys,
    idempotency_expiry,
)

log = structlog.get_logger("mteja.api.housekeeping")


Find = Callable[[UnitOfWork, datetime], Awaitable[list[str]]]
Delete = Callable[[UnitOfWork, str, datetime], Awaitable[int]]


async def prune_once(db: Database, *, event_retention: timedelta) -> tuple[int, int]:
    events = await _each_account(
        db, accounts_with_events_before, prune_events, utcnow() - event_retention
    )
    keys = await _each_account(
        db, accounts_with_keys_before, expire_idempotency_keys, idempotency_expiry()
    )
    async with UnitOfWork(db) as uow:
        # Expired sessions open nothing already: this only keeps their table small.
        await prune_sessions(uow, now=utcnow())
    return events, keys


async def _each_account(db: Database, find: Find, delete: Delete, before: datetime) -> int:
    """The accounts with rows older than ``before``, then one short unit of work per
    account: every delete filters on one account (one shard on Citus; decision 0028),
    and no long transaction holds up the requests."""
    async with UnitOfWork(db) as uow:
        accounts = await find(uow, before)
    deleted = 0
    for account_id in accounts:
        async with UnitOfWork(db) as uow:
            deleted += await delete(uow, account_id, before)
    return deleted


async def prune_forever(db: Database, *, event_retention: timedelta, every: float) -> None:
    """A failed round (database away) is logged and tried again next time. The first round
    waits one interval too: start-up is busy enough, and nothing is urgent."""
    while True:
        await asyncio.sleep(every)
        try:
            events, keys = await prune_once(db, event_retention=event_retention)
            if events or keys:
                log.info("pruned", events=events, idempotency_keys=keys)
        except DATABASE_ERRORS as error:
            log.warning("pruning failed", error_type=type(error).__name__)
