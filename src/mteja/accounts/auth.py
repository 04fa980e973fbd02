"""API key authentication, with an in-memory cache that revocations invalidate at once.

Every request must show a valid key, so on PostgreSQL a verified key is remembered for
a short while. The cache is trusted only while a LISTEN connection is up: a revocation
committed by any process (``mteja keys revoke``, another server) evicts the key in every
server, and a lost connection empties the cache and turns it off until it is back.
A generation counter stops a lookup that raced with a revocation from re-caching the key.
A cached key keeps its expiry, judged on every request; rolling a key (which shortens the
old key's life) evicts it like a revocation.

SQLite has no LISTEN, but it tells each connection whether anything was committed by
another since it last asked (``PRAGMA data_version``, a read of shared memory). The
cache is trusted only while that has not changed: any commit, by this process's writer,
a ``mteja keys revoke`` or another server on the file, empties it, so a revoked key is
refused on the next request. Under a steady stream of writes the cache rarely holds, and
each request reads its key, as without a cache.

Behind a pooler in transaction mode LISTEN cannot work (the session is not ours), so the
listener connects to ``listen_url`` (PostgreSQL past the pooler) when one is given. With
none, a verified key is cached for 3 seconds only: a revocation in another process takes
effect within that time, and in this process at once (docs/decisions/0027).
"""

from __future__ import annotations

import time
from datetime import datetime

from mteja.accounts.keys import presented_key, secret_matches
from mteja.accounts.repository import (
    RevocationListener,
    UnscopedApiKeyRepository,
    subscribe_to_local_revocations,
    unsubscribe_from_local_revocations,
)
from mteja.accounts.usage import KeyUsage
from mteja.core.context import Principal, is_live_account
from mteja.core.errors import ApiKeyExpired, ApiKeyMissing, AuthenticationFailed
from mteja.core.time import utcnow
from mteja.db.engine import Database
from mteja.db.uow import UnitOfWork

_CACHE_TTL_SECONDS = 60.0
# Without notifications, the longest a key revoked elsewhere keeps working in this process.
_UNNOTIFIED_TTL_SECONDS = 3.0
_CACHE_MAX_ENTRIES = 10_000

# account id, secret hash, expiry (or None), and until when the cache may answer with it.
_Found = tuple[str, str, datetime | None, float]


class Authenticator:
    def __init__(self, db: Database, *, cache: bool, listen_url: str | None = None) -> None:
        self.db = db
        self._cache_wanted = cache
        # Behind a pooler LISTEN needs PostgreSQL itself (decision 0027).
        self._listen_url = listen_url or (None if db.pooled else db.url)
        unnotified = not db.is_sqlite and self._listen_url is None
        self._ttl = _UNNOTIFIED_TTL_SECONDS if unnotified else _CACHE_TTL_SECONDS
        self._cache_live = False
        self._data_version: int | None = None
        self._generation = 0
        self._cache: dict[str, _Found] = {}
        self._listener: RevocationListener | None = None
        self.usage = KeyUsage(db)

    async def start(self) -> None:
        self.usage.start()
        if not self._cache_wanted:
            return
        subscribe_to_local_revocations(self._evict)
        if self.db.is_sqlite or self._listen_url is None:
            self._reset(True)  # live at once: data_version, or the short lifetime
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
        await self.usage.stop()

    async def authenticate(self, uow: UnitOfWork, authorization: str | None) -> Principal:
        if not authorization:
            raise ApiKeyMissing()
        scheme, _, secret = authorization.partition(" ")
        if scheme.lower() != "bearer" or not secret:
            raise AuthenticationFailed("Malformed Authorization header: use 'Bearer <key>'.")
        secret = secret.strip()
        presented = presented_key(secret)
        if presented is None:
            raise AuthenticationFailed()
        account_id, secret_hash, expires_at, _ = await self._lookup(uow, presented.key_id)
        # A key reads its mode; the stored key's account must be of that mode.
        if not secret_matches(secret, secret_hash) or (
            presented.livemode != is_live_account(account_id)
        ):
            raise AuthenticationFailed()
        # Only once the secret matched: an expired key's id alone tells nobody anything.
        if expires_at is not None and expires_at <= utcnow():
            raise ApiKeyExpired()
        self.usage.saw(presented.key_id)
        return Principal(account_id=account_id, key_id=presented.key_id)

    async def _lookup(self, uow: UnitOfWork, key_id: str) -> _Found:
        if self._cache_live and self.db.is_sqlite:
            self._check_sqlite_commits()
        cached = self._cache.get(key_id)
        if cached is not None and self._cache_live and cached[3] > time.monotonic():
            return cached
        generation = self._generation
        row = await UnscopedApiKeyRepository(await uow.read()).find_active(key_id)
        if row is None:
            raise AuthenticationFailed()
        found = (
            row["account_id"],
            row["secret_hash"],
            row["expires_at"],
            time.monotonic() + self._ttl,
        )
        if self._cache_live and generation == self._generation:
            if len(self._cache) >= _CACHE_MAX_ENTRIES:
                self._cache.clear()
            self._cache[key_id] = found
        return found

    def _check_sqlite_commits(self) -> None:
        version = self.db.sqlite_data_version()
        if version is None or version != self._data_version:
            self._generation += 1
            self._cache.clear()
            self._data_version = version

    def _evict(self, key_id: str) -> None:
        self._generation += 1
        self._cache.pop(key_id, None)

    def _reset(self, live: bool) -> None:
        self._generation += 1
        self._cache.clear()
        self._cache_live = live
