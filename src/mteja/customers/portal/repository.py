"""Portal sessions in the database: written within the account, found by token across
accounts (a link names no account, so opening one is unscoped by design and named so)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import bindparam, insert, select

from mteja.customers.portal.tables import portal_sessions
from mteja.db.sql import Conn, Record, Sql
from mteja.kit.repository import ScopedRepository

_INSERT = Sql(
    insert(portal_sessions)
    .values({column.name: bindparam(f"v_{column.name}") for column in portal_sessions.c})
    .returning(portal_sessions)
)
# A portal link shows its token before anyone knows its account: on Citus this read asks
# every shard (decision 0029).
_BY_TOKEN = Sql(
    select(portal_sessions).where(portal_sessions.c.token_hash == bindparam("token_hash")),
    cross_account=True,
)


class PortalSessionRepository(ScopedRepository):
    async def insert(self, values: Mapping[str, Any]) -> Record:
        row = await self.conn.one(_INSERT, self.row_params(values))
        assert row is not None
        return row


class UnscopedPortalSessionRepository:
    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def by_token_hash(self, token_hash: str) -> Record | None:
        return await self.conn.one(_BY_TOKEN, {"token_hash": token_hash})
