"""Idempotency records, scoped to one account (expiry excepted, and named so)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, delete, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from mteja.db.sql import Conn, Record, Sql
from mteja.idempotency.tables import idempotency_keys as table
from mteja.kit.repository import ScopedRepository

_THIS_KEY = and_(table.c.account_id == bindparam("account_id"), table.c.key == bindparam("key"))


def _claim(dialect_insert: Any) -> Sql:
    return Sql(
        dialect_insert(table)
        .values(
            account_id=bindparam("v_account_id"),
            key=bindparam("v_key"),
            fingerprint=bindparam("v_fingerprint"),
            claimed_at=bindparam("v_now"),
            created_at=bindparam("v_now"),
        )
        .on_conflict_do_nothing(index_elements=["account_id", "key"])
        .returning(table.c.key)
    )


_CLAIM = {"postgresql": _claim(postgresql.insert), "sqlite": _claim(sqlite.insert)}
_GET = Sql(select(table).where(_THIS_KEY))
# Takes over a claim whose request died (or an expired record), only if nobody else did.
_RECLAIM = Sql(
    update(table)
    .where(
        table.c.account_id == bindparam("where_account_id"),
        table.c.key == bindparam("where_key"),
        table.c.created_at == bindparam("where_created_at"),
    )
    .values(
        fingerprint=bindparam("v_fingerprint"),
        claimed_at=bindparam("v_now"),
        created_at=bindparam("v_now"),
        status=None,
        headers=None,
        body=None,
    )
    .returning(table.c.key)
)
_STORE = Sql(
    update(table)
    .where(
        table.c.account_id == bindparam("where_account_id"),
        table.c.key == bindparam("where_key"),
    )
    .values(
        claimed_at=None,
        status=bindparam("v_status"),
        headers=bindparam("v_headers"),
        body=bindparam("v_body"),
    )
)
_RELEASE = Sql(delete(table).where(_THIS_KEY))
# Stored responses that hold any of some ids (JSON bodies: the ids appear as they are).
_FORGET_MENTIONING = {
    "postgresql": Sql(
        text(
            "DELETE FROM idempotency_keys WHERE account_id = :account_id "
            "AND position(convert_to(:needle, 'UTF8') in body) > 0"
        )
    ),
    "sqlite": Sql(
        text(
            "DELETE FROM idempotency_keys WHERE account_id = :account_id "
            "AND instr(body, CAST(:needle AS BLOB)) > 0"
        )
    ),
}
_EXPIRED = table.c.created_at < bindparam("before")
_ACCOUNTS_TO_EXPIRE = Sql(select(table.c.account_id).where(_EXPIRED).distinct(), cross_account=True)
_EXPIRE = Sql(delete(table).where(table.c.account_id == bindparam("account_id"), _EXPIRED))


class IdempotencyRepository(ScopedRepository):
    async def claim(self, key: str, fingerprint: str, *, now: datetime) -> bool:
        params = {
            "v_account_id": self.account_id,
            "v_key": key,
            "v_fingerprint": fingerprint,
            "v_now": now,
        }
        return await self.conn.one(_CLAIM[self.conn.dialect], params) is not None

    async def get(self, key: str) -> Record | None:
        return await self.conn.one(_GET, {"account_id": self.account_id, "key": key})

    async def reclaim(
        self, key: str, fingerprint: str, *, seen_created_at: datetime, now: datetime
    ) -> bool:
        params = {
            "where_account_id": self.account_id,
            "where_key": key,
            "where_created_at": seen_created_at,
            "v_fingerprint": fingerprint,
            "v_now": now,
        }
        return await self.conn.one(_RECLAIM, params) is not None

    async def store(self, key: str, *, status: int, headers: dict[str, str], body: bytes) -> None:
        params = {
            "where_account_id": self.account_id,
            "where_key": key,
            "v_status": status,
            "v_headers": headers,
            "v_body": body,
        }
        await self.conn.execute(_STORE, params)

    async def release(self, key: str) -> None:
        await self.conn.execute(_RELEASE, {"account_id": self.account_id, "key": key})

    async def forget_mentioning(self, needle: str) -> int:
        """Deletes the stored responses whose body holds ``needle``; how many."""
        sql = _FORGET_MENTIONING[self.conn.dialect]
        return await self.conn.execute(sql, {"account_id": self.account_id, "needle": needle})


class UnscopedIdempotencyExpiry:
    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def accounts_older_than(self, before: datetime) -> list[str]:
        rows = await self.conn.all(_ACCOUNTS_TO_EXPIRE, {"before": before})
        return [str(row["account_id"]) for row in rows]

    async def delete_older_than(self, account_id: str, before: datetime) -> int:
        return await self.conn.execute(_EXPIRE, {"account_id": account_id, "before": before})
