"""Queries on accounts and API keys.

Authentication and operator commands work before (or across) accounts, so these
repositories are unscoped by design and named so.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from datetime import datetime

import asyncpg
import structlog
from sqlalchemy import and_, bindparam, delete, func, insert, or_, select, text, update
from sqlalchemy.engine import make_url

from mteja.accounts.tables import accounts, api_keys, dashboard_sessions
from mteja.db.sql import Conn, Record, Sql

REVOCATION_CHANNEL = "mteja_api_key_revoked"
log = structlog.get_logger("mteja.auth")


_INSERT_ACCOUNT = Sql(
    insert(accounts).values(
        account_id=bindparam("v_account_id"),
        name=bindparam("v_name"),
        created_at=bindparam("v_created_at"),
    )
)
_ACCOUNT_NAME = Sql(select(accounts.c.name).where(accounts.c.account_id == bindparam("account_id")))
_COUNT_ACCOUNTS = Sql(select(func.count()).select_from(accounts))
_INSERT_KEY = Sql(
    insert(api_keys).values({column.name: bindparam(f"v_{column.name}") for column in api_keys.c})
)
_ACTIVE_KEY = Sql(
    select(api_keys.c.account_id, api_keys.c.secret_hash, api_keys.c.expires_at).where(
        api_keys.c.id == bindparam("id"), api_keys.c.revoked_at.is_(None)
    )
)
_KEY = Sql(select(api_keys).where(api_keys.c.id == bindparam("id")))
_KEYS_OF_BOTH_MODES = Sql(
    select(api_keys)
    .where(api_keys.c.account_id.in_([bindparam("live"), bindparam("test")]))
    .order_by(api_keys.c.id)
)
_REVOKE_KEY = Sql(
    update(api_keys)
    .where(api_keys.c.id == bindparam("where_id"), api_keys.c.revoked_at.is_(None))
    .values(revoked_at=bindparam("v_revoked_at"))
)
# Only ever shortens a key's life: an overlap never extends an earlier expiry.
_EXPIRE_KEY_BY = Sql(
    update(api_keys)
    .where(
        api_keys.c.id == bindparam("where_id"),
        api_keys.c.revoked_at.is_(None),
        or_(api_keys.c.expires_at.is_(None), api_keys.c.expires_at > bindparam("where_until")),
    )
    .values(expires_at=bindparam("v_expires_at"))
)
# Conditional, so that many processes flushing the same minute write it once.
_RECORD_USE = Sql(
    update(api_keys)
    .where(
        api_keys.c.id == bindparam("where_id"),
        or_(api_keys.c.last_used_at.is_(None), api_keys.c.last_used_at < bindparam("where_at")),
    )
    .values(last_used_at=bindparam("v_last_used_at"))
)
_INSERT_SESSION = Sql(
    insert(dashboard_sessions).values(
        {column.name: bindparam(f"v_{column.name}") for column in dashboard_sessions.c}
    )
)
# A session is valid while it lasts and while the key that opened it does: revoking or
# expiring the key ends it on the very next request, in every process.
_VALID_SESSION = Sql(
    select(
        dashboard_sessions.c.account_id,
        dashboard_sessions.c.key_id,
        dashboard_sessions.c.csrf_token,
    )
    .select_from(
        dashboard_sessions.join(
            api_keys,
            and_(
                api_keys.c.account_id == dashboard_sessions.c.account_id,
                api_keys.c.id == dashboard_sessions.c.key_id,
            ),
        )
    )
    .where(
        dashboard_sessions.c.token_hash == bindparam("token_hash"),
        dashboard_sessions.c.expires_at > bindparam("now"),
        api_keys.c.revoked_at.is_(None),
        or_(api_keys.c.expires_at.is_(None), api_keys.c.expires_at > bindparam("now")),
    )
)
_END_SESSION = Sql(
    delete(dashboard_sessions).where(dashboard_sessions.c.token_hash == bindparam("token_hash"))
)
_END_SESSIONS_OF_KEY = Sql(
    delete(dashboard_sessions).where(dashboard_sessions.c.key_id == bindparam("key_id"))
)
_PRUNE_SESSIONS = Sql(
    delete(dashboard_sessions).where(dashboard_sessions.c.expires_at <= bindparam("now"))
)
_NOTIFY = Sql(text("SELECT pg_notify(:channel, :payload)"))


class UnscopedAccountRepository:
    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def insert(self, *, account_id: str, name: str, created_at: datetime) -> None:
        params = {"v_account_id": account_id, "v_name": name, "v_created_at": created_at}
        await self.conn.execute(_INSERT_ACCOUNT, params)

    async def name_of(self, account_id: str) -> str | None:
        name = await self.conn.scalar(_ACCOUNT_NAME, {"account_id": account_id})
        return None if name is None else str(name)

    async def count(self) -> int:
        return int(await self.conn.scalar(_COUNT_ACCOUNTS, {}) or 0)


class UnscopedApiKeyRepository:
    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def insert(
        self,
        *,
        account_id: str,
        key_id: str,
        secret_hash: str,
        hint: str,
        created_at: datetime,
        expires_at: datetime | None,
    ) -> None:
        params = {
            "v_account_id": account_id,
            "v_id": key_id,
            "v_secret_hash": secret_hash,
            "v_hint": hint,
            "v_created_at": created_at,
            "v_revoked_at": None,
            "v_expires_at": expires_at,
            "v_last_used_at": None,
        }
        await self.conn.execute(_INSERT_KEY, params)

    async def find_active(self, key_id: str) -> Record | None:
        """Not revoked; the caller judges expiry, since an expired key has its own error."""
        return await self.conn.one(_ACTIVE_KEY, {"id": key_id})

    async def find(self, key_id: str) -> Record | None:
        return await self.conn.one(_KEY, {"id": key_id})

    async def list_for_modes(self, *, live: str, test: str) -> Sequence[Record]:
        """The keys of an account's two modes (its live and its test account)."""
        return await self.conn.all(_KEYS_OF_BOTH_MODES, {"live": live, "test": test})

    async def revoke(self, key_id: str, *, now: datetime) -> bool:
        revoked = (
            await self.conn.execute(_REVOKE_KEY, {"where_id": key_id, "v_revoked_at": now}) > 0
        )
        if revoked:
            await self.conn.execute(_END_SESSIONS_OF_KEY, {"key_id": key_id})
            await self._announce(key_id)
        return revoked

    async def expire_by(self, key_id: str, *, until: datetime) -> None:
        params = {"where_id": key_id, "where_until": until, "v_expires_at": until}
        if await self.conn.execute(_EXPIRE_KEY_BY, params) > 0:
            await self._announce(key_id)

    async def record_use(self, used: Sequence[tuple[str, datetime]]) -> None:
        rows = [{"where_id": key, "where_at": at, "v_last_used_at": at} for key, at in used]
        await self.conn.execute_many(_RECORD_USE, rows)

    async def _announce(self, key_id: str) -> None:
        """A revoked or shortened key leaves every server's cache."""
        if self.conn.is_postgres:
            # Delivered to every listening server when this transaction commits.
            await self.conn.one(_NOTIFY, {"channel": REVOCATION_CHANNEL, "payload": key_id})


class UnscopedSessionRepository:
    """Dashboard sessions, found by their token's hash before the account is known."""

    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def insert(
        self,
        *,
        account_id: str,
        token_hash: str,
        key_id: str,
        csrf_token: str,
        created_at: datetime,
        expires_at: datetime,
    ) -> None:
        params = {
            "v_account_id": account_id,
            "v_token_hash": token_hash,
            "v_key_id": key_id,
            "v_csrf_token": csrf_token,
            "v_created_at": created_at,
            "v_expires_at": expires_at,
        }
        await self.conn.execute(_INSERT_SESSION, params)

    async def find_valid(self, token_hash: str, *, now: datetime) -> Record | None:
        return await self.conn.one(_VALID_SESSION, {"token_hash": token_hash, "now": now})

    async def end(self, token_hash: str) -> None:
        await self.conn.execute(_END_SESSION, {"token_hash": token_hash})

    async def prune(self, *, now: datetime) -> int:
        return await self.conn.execute(_PRUNE_SESSIONS, {"now": now})


_local_subscribers: list[Callable[[str], None]] = []


def subscribe_to_local_revocations(callback: Callable[[str], None]) -> None:
    _local_subscribers.append(callback)


def unsubscribe_from_local_revocations(callback: Callable[[str], None]) -> None:
    if callback in _local_subscribers:
        _local_subscribers.remove(callback)


def announce_local_revocation(key_id: str) -> None:
    """After a revocation committed in this process: caches here forget the key at once,
    before any other request runs, instead of when PostgreSQL's notification arrives."""
    for callback in list(_local_subscribers):
        callback(key_id)


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
