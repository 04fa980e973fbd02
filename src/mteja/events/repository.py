"""Event queries, scoped to one account (pruning excepted, and named so)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, String, bindparam, delete, exists, insert, literal, select
from sqlalchemy.dialects.postgresql import JSONB

from mteja.core.paging import Window
from mteja.db.keyset import (
    KeysetShape,
    keyset_page,
    keyset_params,
    keyset_shape,
    one_of,
)
from mteja.db.sql import Conn, Record, ScopedRepository, Sql
from mteja.db.types import UTCDateTime
from mteja.events.tables import events
from mteja.webhooks.tables import webhook_endpoints


def _has_webhooks(account_id: str) -> ColumnElement[bool]:
    """Whether the account has an enabled endpoint: one probe of a tiny index, so that
    events of accounts without webhooks are never queued and never cost the worker."""
    return exists().where(
        webhook_endpoints.c.account_id == bindparam(account_id),
        webhook_endpoints.c.status == literal("enabled"),
    )


_IN_ACCOUNT = events.c.account_id == bindparam("account_id")
_INSERT = Sql(
    insert(events).values(
        {
            **{c.name: bindparam(f"v_{c.name}") for c in events.c if c.name != "webhook_pending"},
            "webhook_pending": _has_webhooks("v_account_id"),
        }
    )
)
_GET = Sql(select(events).where(_IN_ACCOUNT, events.c.id == bindparam("id")))
_PRUNE = Sql(delete(events).where(events.c.created_at < bindparam("before")))


@cache
def _list(shape: KeysetShape, types: int) -> Sql:
    conditions = [_IN_ACCOUNT]
    if types:
        conditions.append(one_of(events.c.type, "type", types))
    return keyset_page(select(events), events.c.id, shape, *conditions)


@cache
def _list_of_customer(shape: KeysetShape) -> Sql:
    of_customer = events.c.customer_id == bindparam("customer_id")
    return keyset_page(select(events), events.c.id, shape, _IN_ACCOUNT, of_customer)


@dataclass(frozen=True, slots=True)
class EventRow:
    event_id: str
    type: str
    data: Any
    created_at: datetime
    customer_id: str | None

    def params(self, account_id: str) -> dict[str, Any]:
        return {
            "e_account_id": account_id,
            "e_id": self.event_id,
            "e_type": self.type,
            "e_data": self.data,
            "e_created_at": self.created_at,
            "e_customer_id": self.customer_id,
        }


@cache
def with_event(change: Sql) -> Sql:
    """``change`` (an INSERT … RETURNING) and the insert of its event, as one statement:
    the event row is written only if the change returned a row. PostgreSQL only."""
    changed = change.statement.cte("changed")  # type: ignore[attr-defined]
    event = insert(events).from_select(
        ["account_id", "id", "type", "data", "created_at", "customer_id", "webhook_pending"],
        select(
            bindparam("e_account_id"),
            bindparam("e_id"),
            bindparam("e_type"),
            bindparam("e_data", type_=JSONB),
            bindparam("e_created_at", type_=UTCDateTime()),
            bindparam("e_customer_id", type_=String(30)),
            _has_webhooks("e_account_id"),
        ).select_from(changed),
    )
    return Sql(select(changed).add_cte(event.cte("event")))


class EventRepository(ScopedRepository):
    async def insert(self, event: EventRow) -> None:
        params = {
            "v_account_id": self.account_id,
            "v_id": event.event_id,
            "v_type": event.type,
            "v_data": event.data,
            "v_created_at": event.created_at,
            "v_customer_id": event.customer_id,
        }
        await self.conn.execute(_INSERT, params)

    async def get(self, event_id: str) -> Record | None:
        return await self.conn.one(_GET, {"account_id": self.account_id, "id": event_id})

    async def list(self, types: tuple[str, ...], window: Window) -> Sequence[Record]:
        params = keyset_params(window, "evt_")
        params["account_id"] = self.account_id
        for index, kind in enumerate(types):
            params[f"type_{index}"] = kind
        return await self.conn.all(_list(keyset_shape(window), len(types)), params)

    async def list_of_customer(self, customer_id: str, window: Window) -> Sequence[Record]:
        params = keyset_params(window, "evt_")
        params.update(account_id=self.account_id, customer_id=customer_id)
        return await self.conn.all(_list_of_customer(keyset_shape(window)), params)


class UnscopedEventPruner:
    """Retention works across accounts: it deletes by age alone."""

    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def delete_older_than(self, before: datetime) -> int:
        return await self.conn.execute(_PRUNE, {"before": before})
