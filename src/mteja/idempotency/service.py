"""Idempotency rules (API.md section 8).

The first request with a key claims it in a short transaction of its own, so that a
concurrent twin sees the claim at once and gets 409. Its effects and the record of its
response then commit together, in one transaction: a crash leaves either both or neither.
A claim whose request died without an answer is taken over after a minute.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from mteja.core.errors import IdempotencyKeyInUse, IdempotencyKeyReused
from mteja.core.time import utcnow
from mteja.db.uow import UnitOfWork
from mteja.idempotency.repository import IdempotencyRepository, UnscopedIdempotencyExpiry

RETENTION = timedelta(hours=24)
ABANDONED_AFTER = timedelta(minutes=1)
MAX_KEY_LENGTH = 255


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status: int
    headers: dict[str, str]
    body: bytes


class IdempotencyService:
    """Works in the caller's unit of work, which commits: the claim alone, at once; the
    stored response together with the request's effects."""

    def __init__(self, uow: UnitOfWork, account_id: str) -> None:
        self.uow = uow
        self.account_id = account_id

    async def begin(self, key: str, fingerprint: str) -> StoredResponse | None:
        """The stored response to replay, or None when this request may run."""
        now = utcnow()
        repo = IdempotencyRepository(await self.uow.write(), self.account_id)
        if await repo.claim(key, fingerprint, now=now):
            return None
        record = await repo.get(key)
        if record is None:  # expired and pruned between the two statements
            if await repo.claim(key, fingerprint, now=now):
                return None
            raise IdempotencyKeyInUse()
        expired = record["created_at"] < now - RETENTION
        abandoned = (
            record["claimed_at"] is not None and record["claimed_at"] < now - ABANDONED_AFTER
        )
        if expired or (abandoned and record["fingerprint"] == fingerprint):
            if await repo.reclaim(key, fingerprint, seen_created_at=record["created_at"], now=now):
                return None
            raise IdempotencyKeyInUse()
        if record["fingerprint"] != fingerprint:
            raise IdempotencyKeyReused()
        if record["claimed_at"] is not None:
            raise IdempotencyKeyInUse()
        return StoredResponse(
            status=record["status"], headers=record["headers"], body=bytes(record["body"])
        )

    async def store(self, key: str, response: StoredResponse) -> None:
        await IdempotencyRepository(await self.uow.write(), self.account_id).store(
            key, status=response.status, headers=response.headers, body=response.body
        )

    async def forget_responses_mentioning(self, ids: list[str]) -> None:
        """Erasure: no stored response may keep a redacted customer's data. Each names
        the objects it holds by id."""
        repo = IdempotencyRepository(await self.uow.write(), self.account_id)
        for object_id in ids:
            await repo.forget_mentioning(object_id)

    async def release(self, key: str) -> None:
        """The request failed without an answer worth keeping: a retry may run it again."""
        await IdempotencyRepository(await self.uow.write(), self.account_id).release(key)


def idempotency_expiry() -> datetime:
    """Records created before this are past their 24 hours."""
    return utcnow() - RETENTION


async def accounts_with_keys_before(uow: UnitOfWork, before: datetime) -> list[str]:
    return await UnscopedIdempotencyExpiry(await uow.read()).accounts_older_than(before)


async def expire_idempotency_keys(uow: UnitOfWork, account_id: str, before: datetime) -> int:
    """Deletes the account's records created before ``before``."""
    expiry = UnscopedIdempotencyExpiry(await uow.write())
    return await expiry.delete_older_than(account_id, before)
