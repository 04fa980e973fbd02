"""Queries on accounts and API keys.

Authentication and operator commands work before (or across) accounts, so these
repositories are unscoped by design and named so.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime

import asyncpg
import structlog
from sqlalchemy import func, insert, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from mteja.accounts.tables import accounts, api_keys
from mteja.db.types import DbRow

REVOCATION_CHANNEL = "mteja_api_key_revoked"
log = structlog.get_logger("mteja.auth")


class UnscopedAccountRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def insert(self, *, account_id: str, name: str, created_at: datetime) -> None:
        await self.conn.execute(
            insert(accounts).values(account_id=account_id, name=name, created_at=created_at)
        )

    async def exists(self, account_id: str) -> bool:
        found = await self.conn.scalar(
            select(accounts.c.account_id).where(accounts.c.account_id == account_id)
        )
        return found is not None

    async def count(self) -> int:
        return int(await self.conn.scalar(select(func.count()).select_from(accounts)) or 0)


class UnscopedApiKeyRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def insert(
        self, *, account_id: str, key_id: str, secret_hash: str, hint: str, created_at: datetime
    ) -> None:
        await self.conn.execute(
            insert(api_keys).values(
                account_id=account_id,
                id=key_id,
                secret_hash=secret_hash,
                hint=hint,
                created_at=created_at,
            )
        )

    async def find_active(self, key_id: str) -> DbRow | None:
        result = await self.conn.execute(
            select(api_keys.c.account_id, api_keys.c.secret_hash).where(
                api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None)
            )
        )
        return result.first()

    async def list_for_account(self, account_id: str) -> list[DbRow]:
        result = await self.conn.execute(
            select(api_keys.c.id, api_keys.c.hint, api_keys.c.created_at, api_keys.c.revoked_at)
            .where(api_keys.c.account_id == account_id)
            .order_by(api_keys.c.id)
        )
        return list(result.all())

    async def revoke(self, key_id: str, *, now: datetime) -> bool:
        result = await self.conn.execute(
            update(api_keys)
            .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        revoked = result.rowcount > 0
        if revoked and self.conn.dialect.name == "postgresql":
            # Delivered to every listening server when this transaction commits.
            await self.conn.execute(
                text("SELECT pg_notify(:channel, :key_id)"),
                {"channel": REVOCATION_CHANNEL, "key_id": key_id},
            )
        return revoked


class RevocationListener:
    """Follows key revocations committed by any process, over PostgreSQL LISTEN/NOTIFY.

    ``on_revoked(key_id)`` runs for each revocation; ``on_reset()`` whenever the
    connection is lost or regained, since notifications may have been missed meanwhile.
    """

    def __init__(
        self,
        sqlalchemy_url: str,
        *,
        on_revoked: Callable[[str], None],
        on_reset: Callable[[bool], None],
    ) -> None:
        url = make_url(sqlalchemy_url).set(drivername="postgresql")
        self._dsn = url.render_as_string(hide_password=False)
        self._on_revoked = on_revoked
        self._on_reset = on_reset
        self._task: asyncio.Task[None] | None = None
        self._lost = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="mteja-key-revocations")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        delay = 0.5
        while True:
            try:
                await self._listen_until_lost()
                delay = 0.5
            except (OSError, asyncpg.PostgresError) as error:
                log.warning("key revocation listener disconnected", error=type(error).__name__)
            self._on_reset(False)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)

    async def _listen_until_lost(self) -> None:
        connection = await asyncpg.connect(self._dsn)
        self._lost.clear()
        try:
            connection.add_termination_listener(lambda _conn: self._lost.set())
            await connection.add_listener(
                REVOCATION_CHANNEL, lambda _c, _pid, _channel, key_id: self._on_revoked(key_id)
            )
            self._on_reset(True)
            await self._lost.wait()
        finally:
            self._on_reset(False)
            # The connection is already gone when the server went away; nothing to undo.
            with contextlib.suppress(OSError, asyncpg.PostgresError, TimeoutError):
                await connection.close(timeout=2)
