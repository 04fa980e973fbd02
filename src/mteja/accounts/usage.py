"""When each key was last used, to the minute, without a write per request.

Authentication notes the minute a key was seen in memory; a background task writes the
keys seen since its last round in one batch, and each key at most once a minute per
process. The update only moves ``last_used_at`` forward, so several processes writing the
same minute leave one value. A process that dies loses at most its last round: the
column is a hint for operators deciding which key to revoke, not an audit trail (events
carry that).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import UTC, datetime

import structlog

from mteja.accounts.repository import UnscopedApiKeyRepository
from mteja.db.engine import DATABASE_ERRORS, Database
from mteja.db.uow import UnitOfWork

FLUSH_EVERY_SECONDS = 15.0
# Past this many keys the memory of written minutes starts again: at worst one more
# write per key.
_MAX_REMEMBERED = 10_000
log = structlog.get_logger("mteja.auth")


class KeyUsage:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._seen: dict[str, int] = {}
        self._written: dict[str, int] = {}
        self._task: asyncio.Task[None] | None = None

    def saw(self, key_id: str) -> None:
        """On the hot path: one clock read and two dictionary look-ups."""
        minute = int(time.time() // 60)
        if self._written.get(key_id) != minute:
            self._seen[key_id] = minute

    def start(self) -> None:
        self._task = asyncio.create_task(self._flush_forever(), name="mteja-key-usage")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.flush()

    async def flush(self) -> None:
        seen, self._seen = self._seen, {}
        if not seen:
            return
        used = [(key, _at_minute(minute)) for key, minute in sorted(seen.items())]
        async with UnitOfWork(self.db) as uow:
            await UnscopedApiKeyRepository(await uow.write()).record_use(used)
        if len(self._written) > _MAX_REMEMBERED:
            self._written.clear()
        self._written.update(seen)

    async def _flush_forever(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_EVERY_SECONDS)
            try:
                await self.flush()
            except DATABASE_ERRORS as error:
                # The minutes of that round are lost; the next use notes them again.
                log.warning("recording key use failed", error_type=type(error).__name__)


def _at_minute(minute: int) -> datetime:
    return datetime.fromtimestamp(minute * 60, UTC)
