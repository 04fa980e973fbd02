"""Event queries: scoped to one account, but for retention and the outbox, named so.

Every event insert is ``INSERT … SELECT``: the event's own values and, computed by the
database in the same statement, whether its account has a subscriber (``webhook_pending``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    bindparam,
    delete,
    exists,
    insert,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from mteja.core.paging import Window
from mteja.db.keyset import (
    KeysetShape,
    keyset_page,
    keyset_params,
    keyset_shape,
    one_of,
)
from mteja.db.rows import columns_params, unnested_rows
from mteja.db.sql import Bound, Conn, Insertion, Record, Sql
from mteja.events.tables import event_subscribers, events
from mteja.kit.repository import ScopedRepository

_EVENT_COLUMNS = (
    "account_id",
    "id",
    "type",
    "data",
    "created_at",
    "livemode",
    "request_id",
    "actor_type",
    "actor_id",
    "customer_id",
)


@dataclass(frozen=True, slots=True)
class EventRow:
    event_id: str
    type: str
    data: Any
    created_at: datetime
    customer_id: str | None
    livemode: bool = True
    request_id: str | None = None
    actor_type: str = "system"
    actor_id: str | None = None

    def values(self, account_id: str) -> dict[str, Any]:
        return {
            "account_id": account_id,
            "id": self.event_id,
            "type": self.type,
            "data": self.data,
            "created_at": self.created_at,
            "livemode": self.livemode,
            "request_id": self.request_id,
            "actor_type": self.actor_type,
            "actor_id": self.actor_id,
            "customer_id": self.customer_id,
        }


def _has_subscribers(account: ColumnElement[Any]) -> ColumnElement[bool]:
    """One probe of a one-row-per-account table: events of accounts without webhooks are
    never pending and never cost the worker anything."""
    return exists().where(
        event_subscribers.c.account_id == account, event_subscribers.c.subscribers > 0
    )


def _event_select(prefix: str) -> Select[Any]:
    """The values of one event row, bound as ``<prefix><column>``, and its pending flag."""
    binds = [bindparam(f"{prefix}{name}", type_=events.c[name].type) for name in _EVENT_COLUMNS]
    return select(*binds, _has_subscribers(binds[0]))


_INSERTED_COLUMNS = [*_EVENT_COLUMNS, "webhook_pending"]
_INSERT = Sql(insert(events).from_select(_INSERTED_COLUMNS, _event_select("v_")))
_IN_ACCOUNT = events.c.account_id == bindparam("account_id")
_GET = Sql(select(events).where(_IN_ACCOUNT, events.c.id == bindparam("id")))
_EXPIRED = events.c.created_at < bindparam("before")
_ACCOUNTS_TO_PRUNE = Sql(select(events.c.account_id).where(_EXPIRED).distinct(), cross_account=True)
_PRUNE = Sql(delete(events).where(_IN_ACCOUNT, _EXPIRED))


@cache
def _list(shape: KeysetShape, types: int, of_customer: bool) -> Sql:
    """Served by (account_id, type, id), or by (account_id, customer_id, id) for one
    customer's timeline."""
    conditions = [_IN_ACCOUNT]
    if of_customer:
        conditions.append(events.c.customer_id == bindparam("customer_id"))
    if types:
        conditions.append(one_of(events.c.type, "type", types))
    return keyset_page(select(events), events.c.id, shape, *conditions)


# The history of a customer's sub-resources follows them when a merge moves them.
_MOVE_OWNED = Sql(
    update(events)
    .where(
        events.c.account_id == bindparam("where_account_id"),
        events.c.customer_id == bindparam("where_customer_id"),
        events.c.type.not_like("customer.%"),
    )
    .values(customer_id=bindparam("v_customer_id"))
)
_REWRITE = Sql(
    update(events)
    .where(
        events.c.account_id == bindparam("where_account_id"),
        events.c.id == bindparam("where_id"),
    )
    .values(data=bindparam("v_data"))
)


@cache
def _insert_rows(table: Table, columns: tuple[str, ...]) -> Sql:
    return Sql(insert(table).values({name: bindparam(f"v_{name}") for name in columns}))


_RowsShape = tuple[tuple[Table, tuple[str, ...]], ...]


@cache
def _change_with_events(change: Sql, rows: _RowsShape, event_count: int) -> Sql:
    """``change`` (an INSERT … RETURNING) and, only if it returned a row, the rows and the
    events that go with it: one complete statement (PostgreSQL)."""
    changed = change.statement.cte("changed")  # type: ignore[attr-defined]
    written: list[Any] = []
    for index, (table, columns) in enumerate(rows):
        values = select(
            *(bindparam(f"r{index}_{name}", type_=table.c[name].type) for name in columns)
        ).select_from(changed)
        written.append(insert(table).from_select(list(columns), values).cte(f"row_{index}"))
    for index in range(event_count):
        values = _event_select(f"e{index}_").select_from(changed)
        written.append(insert(events).from_select(_INSERTED_COLUMNS, values).cte(f"event_{index}"))
    return Sql(select(changed).add_cte(*written), complete=True)


@cache
def _insert_many(count: int) -> Sql:
    """``count`` events in one ``INSERT … SELECT … UNION ALL SELECT …``, each with its
    pending flag, as a single insert computes it (SQLite)."""
    rows = union_all(*(_event_select(f"e{index}_") for index in range(count)))
    return Sql(insert(events).from_select(_INSERTED_COLUMNS, rows))


# The same on PostgreSQL, for any number of events of one account (see ``db.rows``).
_INSERT_UNNESTED = Sql(
    insert(events).from_select(
        _INSERTED_COLUMNS,
        unnested_rows(events, _EVENT_COLUMNS).add_columns(
            _has_subscribers(bindparam("account_id", type_=events.c.account_id.type))
        ),
    )
)


class EventRepository(ScopedRepository):
    async def insert(self, event: EventRow) -> None:
        params = {f"v_{name}": value for name, value in event.values(self.account_id).items()}
        await self.conn.execute(_INSERT, params)

    async def insert_many(self, events_: Sequence[EventRow]) -> None:
        """Events of one change (a batch) in one statement."""
        if not events_:
            return
        rows = [event.values(self.account_id) for event in events_]
        if self.conn.is_postgres:
            unnested = columns_params(self.account_id, _EVENT_COLUMNS, rows)
            await self.conn.execute(_INSERT_UNNESTED, unnested)
            return
        params: dict[str, Any] = {}
        for index, values in enumerate(rows):
            params.update({f"e{index}_{name}": value for name, value in values.items()})
        await self.conn.execute(_insert_many(len(rows)), params)

    async def insert_with_change(
        self, change: Bound, rows: Sequence[Insertion], events_: Sequence[EventRow]
    ) -> Record | None:
        """Runs ``change``; when it returns a row, writes ``rows`` and ``events_`` too. One
        statement on PostgreSQL, so that it needs no transaction of its own."""
        if not self.conn.is_postgres:
            return await self._insert_in_steps(change, rows, events_)
        shape: list[tuple[Table, tuple[str, ...]]] = []
        params = dict(change.params)
        for insertion in rows:
            for row in insertion.rows:
                index = len(shape)
                shape.append((insertion.table, tuple(row)))
                params.update({f"r{index}_{name}": value for name, value in row.items()})
        for index, event in enumerate(events_):
            values = event.values(self.account_id)
            params.update({f"e{index}_{name}": value for name, value in values.items()})
        sql = _change_with_events(change.sql, tuple(shape), len(events_))
        return await self.conn.one(sql, params)

    async def _insert_in_steps(
        self, change: Bound, rows: Sequence[Insertion], events_: Sequence[EventRow]
    ) -> Record | None:
        changed = await self.conn.one(change.sql, change.params)
        if changed is None:
            return None
        for insertion in rows:
            for row in insertion.rows:
                params = {f"v_{name}": value for name, value in row.items()}
                await self.conn.execute(_insert_rows(insertion.table, tuple(row)), params)
        for event in events_:
            await self.insert(event)
        return changed

    async def get(self, event_id: str) -> Record | None:
        return await self.conn.one(_GET, {"account_id": self.account_id, "id": event_id})

    async def list(
        self, types: tuple[str, ...], window: Window, *, customer_id: str | None = None
    ) -> Sequence[Record]:
        params = keyset_params(window, "evt_")
        params.update(account_id=self.account_id, customer_id=customer_id)
        for index, kind in enumerate(types):
            params[f"type_{index}"] = kind
        sql = _list(keyset_shape(window), len(types), customer_id is not None)
        return await self.conn.all(sql, params)

    async def move_owned(self, from_customer: str, to_customer: str) -> None:
        params = {
            "where_account_id": self.account_id,
            "where_customer_id": from_customer,
            "v_customer_id": to_customer,
        }
        await self.conn.execute(_MOVE_OWNED, params)

    async def rewrite(self, data_by_id: Sequence[tuple[str, Any]]) -> None:
        """Replaces the ``data`` of events, by id (redaction)."""
        params = [
            {"where_account_id": self.account_id, "where_id": event_id, "v_data": data}
            for event_id, data in data_by_id
        ]
        await self.conn.execute_many(_REWRITE, params)


class UnscopedEventPruner:
    """Retention works across accounts: it finds the accounts with events past their age,
    then deletes each account's apart (one shard each on Citus)."""

    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def accounts_older_than(self, before: datetime) -> list[str]:
        rows = await self.conn.all(_ACCOUNTS_TO_PRUNE, {"before": before})
        return [str(row["account_id"]) for row in rows]

    async def delete_older_than(self, account_id: str, before: datetime) -> int:
        return await self.conn.execute(_PRUNE, {"account_id": account_id, "before": before})


# The outbox: what a subscriber (the webhook worker) reads and marks, across accounts.

# Which accounts have events waiting: the one statement that reads across accounts. Then
# each account's events are taken apart, locked on its own shard (docs/decisions/0028).
_ACCOUNTS_PENDING = Sql(
    select(events.c.account_id)
    .where(events.c.webhook_pending)
    .order_by(events.c.id)
    .limit(bindparam("limit")),
    cross_account=True,
)
_PENDING = Sql(
    select(events.c.account_id, events.c.id, events.c.type, events.c.created_at)
    .where(_IN_ACCOUNT, events.c.webhook_pending)
    .order_by(events.c.id)
    .limit(bindparam("limit"))
    .with_for_update(skip_locked=True)
)
_MARK_DISPATCHED = Sql(
    update(events)
    .where(
        events.c.account_id == bindparam("where_account_id"),
        events.c.id == bindparam("where_id"),
    )
    .values(webhook_pending=False)
)


@cache
def _payloads(count: int) -> Sql:
    return Sql(select(events).where(_IN_ACCOUNT, one_of(events.c.id, "event", count)))


_SUBSCRIBERS_UPSERT = {
    dialect: Sql(
        insert_of(event_subscribers)
        .values(account_id=bindparam("account_id"), subscribers=bindparam("delta"))
        .on_conflict_do_update(
            index_elements=[event_subscribers.c.account_id],
            set_={"subscribers": event_subscribers.c.subscribers + bindparam("delta")},
        )
    )
    for dialect, insert_of in (("postgresql", postgresql.insert), ("sqlite", sqlite.insert))
}


class UnscopedOutbox:
    """Pending events of every account, for the workers that serve them all: found across
    accounts, then taken one account at a time."""

    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def accounts_pending(self, limit: int) -> list[str]:
        """The accounts of the oldest ``limit`` pending events, oldest first, each once."""
        rows = await self.conn.all(_ACCOUNTS_PENDING, {"limit": limit})
        return list(dict.fromkeys(str(row["account_id"]) for row in rows))

    async def pending(self, account_id: str, limit: int) -> Sequence[Record]:
        """The account's oldest pending events, locked against other workers (PostgreSQL)."""
        return await self.conn.all(_PENDING, {"account_id": account_id, "limit": limit})

    async def mark_dispatched(self, keys: Sequence[tuple[str, str]]) -> None:
        params = [{"where_account_id": account, "where_id": event} for account, event in keys]
        await self.conn.execute_many(_MARK_DISPATCHED, params)

    async def payloads(self, account_id: str, event_ids: Sequence[str]) -> Sequence[Record]:
        """Events of one account by id, as they are stored."""
        if not event_ids:
            return []
        params = {f"event_{index}": event_id for index, event_id in enumerate(event_ids)}
        params["account_id"] = account_id
        return await self.conn.all(_payloads(len(event_ids)), params)

    async def change_subscribers(self, account_id: str, delta: int) -> None:
        params = {"account_id": account_id, "delta": delta}
        await self.conn.execute(_SUBSCRIBERS_UPSERT[self.conn.dialect], params)
