"""The server's background housekeeping: event retention, idempotency-key expiry, and the
rows of ended dashboard sessions."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import structlog

from mteja.accounts.sessions import prune_sessions
from mteja.core.time import utcnow
from mteja.db.engine import DATABASE_ERRORS, Database
from mteja.db.uow import UnitOfWork
from mteja.events.service import prune_events
from mteja.idempotency.service import expire_idempotency_keys

log = structlog.get_logger("mteja.api.housekeeping")


async def prune_once(db: Database, *, event_retention: timedelta) -> tuple[int, int]:
    """One unit of work for each: a long retention run never holds up key expiry."""
    async with UnitOfWork(db) as uow:
        events = await prune_events(uow, before=utcnow() - event_retention)
    async with UnitOfWork(db) as uow:
        keys = await expire_idempotency_keys(uow)
    async with UnitOfWork(db) as uow:
        # Expired sessions open nothing already: this only keeps their table small.
        await prune_sessions(uow, now=utcnow())
    return events, keys


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
