"""Idempotency rules (API.md section 8).

The first request with a key claims it in a short transaction of its own, so that a
concurrent twin sees the claim at once and gets 409. Its effects and the record of its
response then commit together, in one transaction: a crash leaves either both or neither.
A claim whose request died without an answer is taken over after a minute.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from mteja.core.errors import Conflict, MtejaError
from mteja.core.time import utcnow
from mteja.db.engine import Database
from mteja.db.sql import Conn
from mteja.idempotency.repository import IdempotencyRepository, UnscopedIdempotencyExpiry

RETENTION = timedelta(hours=24)
ABANDONED_AFTER = timedelta(minutes=1)
MAX_KEY_LENGTH = 255


class IdempotencyKeyInUse(Conflict):
    code = "idempotency_key_in_use"
    default_message = (
        "A request with this Idempotency-Key is still being processed; retry it shortly."
    )


class IdempotencyKeyReused(MtejaError):
    status = 422
    type = "invalid_request_error"
    code = "idempotency_key_reused"
    default_message = (
        "This Idempotency-Key was used for a different request (method, path or body); "
        "use a new key for a new request."
    )


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status: int
    headers: dict[str, str]
    body: bytes


class IdempotencyService:
    def __init__(self, db: Database, account_id: str) -> None:
        self.db = db
        self.account_id = account_id

    async def begin(self, key: str, fingerprint: str) -> StoredResponse | None:
        """The stored response to replay, or None when this request may run."""
        now = utcnow()
        async with self.db.write() as conn:
            repo = IdempotencyRepository(conn, self.account_id)
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
                if await repo.reclaim(
                    key, fingerprint, seen_created_at=record["created_at"], now=now
                ):
                    return None
                raise IdempotencyKeyInUse()
            if record["fingerprint"] != fingerprint:
                raise IdempotencyKeyReused()
            if record["claimed_at"] is not None:
                raise IdempotencyKeyInUse()
            return StoredResponse(
                status=record["status"], headers=record["headers"], body=bytes(record["body"])
            )

    async def store(self, conn: Conn, key: str, response: StoredResponse) -> None:
        """Inside the transaction of the request's effects."""
        await IdempotencyRepository(conn, self.account_id).store(
            key, status=response.status, headers=response.headers, body=response.body
        )

    async def release(self, key: str) -> None:
        """The request failed without an answer worth keeping: a retry may run it again."""
        async with self.db.write() as conn:
            await IdempotencyRepository(conn, self.account_id).release(key)


async def expire_idempotency_keys(db: Database) -> int:
    """Deletes the records of every account that are past their 24 hours."""
    async with db.write() as conn:
        return await UnscopedIdempotencyExpiry(conn).delete_older_than(utcnow() - RETENTION)
