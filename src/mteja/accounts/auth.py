"""API key authentication, with an in-memory cache that revocations invalidate at once.

Every request must show a valid key, so on PostgreSQL a verified key is remembered for
a short while. The cache is trusted only while a LISTEN connection is up: a revocation
committed by any process (``mteja keys revoke``, another server) evicts the key in every
server, and a lost connection empties the cache and turns it off until it is back.
A generation counter stops a lookup that raced with a revocation from re-caching the key.

Behind a pooler in transaction mode LISTEN cannot work (the session is not ours), so the
listener connects to ``listen_url`` (PostgreSQL past the pooler) when one is given. With
none, a verified key is cached for a few seconds only: a revocation in another process
takes effect within that time, and in this process at once (docs/decisions/0027).
"""

from __future__ import annotations

import time

from mteja.accounts.keys import key_id_of, secret_matches
from mteja.accounts.repository import (
    RevocationListener,
    UnscopedApiKeyRepository,
    subscribe_to_local_revocations,
    unsubscribe_from_local_revocations,
)
from mteja.core.context import Principal
from mteja.core.errors import ApiKeyMissing, AuthenticationFailed
from mteja.db.engine import Database
from mteja.db.uow import UnitOfWork

_CACHE_TTL_SECONDS = 60.0
# Without notifications, the longest a key revoked elsewhere keeps working in this process.
_UNNOTIFIED_TTL_SECONDS = 3.0
_CACHE_MAX_ENTRIES = 10_000


class Authenticator:
    def __init__(self, db: Database, *, cache: bool, listen_url: str | None = None) -> None:
        self.db = db
        self._cache_wanted = cache and not db.is_sqlite
        self._listen_url = listen_url or (None if db.pooled else db.url)
        self._ttl = _CACHE_TTL_SECONDS if self._listen_url else _UNNOTIFIED_TTL_SECONDS
        self._cache_live = False
        self._generation = 0
        self._cache: dict[str, tuple[str, str, float]] = {}
        self._listener: RevocationListener | None = None

    async def start(self) -> None:
        if not self._cache_wanted:
            return
        subscribe_to_local_revocations(self._evict)
        if self._listen_url is None:
            self._reset(True)  # live at once, on the short lifetime
            return
        self._listener = RevocationListener(
            self._listen_url, on_revoked=self._evict, on_reset=self._reset
        )
        self._listener.start()

    async def stop(self) -> None:
        unsubscribe_from_local_revocations(self._evict)
        if self._listener is not None:
            await self._listener.stop()
        self._reset(False)

    async def authenticate(self, uow: UnitOfWork, authorization: str | None) -> Principal:
        if not authorization:
            raise ApiKeyMissing()
        scheme, _, secret = authorization.partition(" ")
        if scheme.lower() != "bearer" or not secret:
            raise AuthenticationFailed("Malformed Authorization header: use 'Bearer <key>'.")
        key_id = key_id_of(secret.strip())
        if key_id is None:
            raise AuthenticationFailed()
        account_id, secret_hash = await self._lookup(uow, key_id)
        if not secret_matches(secret.strip(), secret_hash):
            raise AuthenticationFailed()
        return Principal(account_id=account_id, key_id=key_id)

    async def active_account(self, uow: UnitOfWork, key_id: str) -> str | None:
        """The account of a key that is still active, or None once it is revoked: for
        sessions that started with the key (the dashboard), checked on every request."""
        try:
            account_id, _ = await self._lookup(uow, key_id)
        except AuthenticationFailed:
            return None
        return account_id

    async def _lookup(self, uow: UnitOfWork, key_id: str) -> tuple[str, str]:
        cached = self._cache.get(key_id)
        if cached is not None and self._cache_live and cached[2] > time.monotonic():
            return cached[0], cached[1]
        generation = self._generation
        row = await UnscopedApiKeyRepository(await uow.read()).find_active(key_id)
        if row is None:
            raise AuthenticationFailed()
        if self._cache_live and generation == self._generation:
            if len(self._cache) >= _CACHE_MAX_ENTRIES:
                self._cache.clear()
            expires = time.monotonic() + self._ttl
            self._cache[key_id] = (row["account_id"], row["secret_hash"], expires)
        return row["account_id"], row["secret_hash"]

    def _evict(self, key_id: str) -> None:
        self._generation += 1
        self._cache.pop(key_id, None)

    def _reset(self, live: bool) -> None:
        self._generation += 1
        self._cache.clear()
        self._cache_live = live
