"""Webhook queries. Endpoints and delivery history are scoped to one account; the
delivery queue, which one worker serves for every account, is named ``Unscoped…``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, insert, literal, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite

from mteja.core.paging import Window
from mteja.db.keyset import (
    KeysetShape,
    keyset_page,
    keyset_params,
    keyset_shape,
    one_of,
)
from mteja.db.sql import Conn, Record, Sql
from mteja.kit.repository import ScopedRepository
from mteja.webhooks.tables import webhook_deliveries, webhook_endpoints, webhook_queue

_e = webhook_endpoints
_q = webhook_queue
_d = webhook_deliveries

_ENDPOINT = and_(_e.c.account_id == bindparam("account_id"), _e.c.id == bindparam("id"))
_GET_ENDPOINT = Sql(select(_e).where(_ENDPOINT))
_GET_ENDPOINT_FOR_UPDATE = Sql(select(_e).where(_ENDPOINT).with_for_update())
_INSERT_ENDPOINT = Sql(insert(_e).values({c.name: bindparam(f"v_{c.name}") for c in _e.c}))
_DELETE_ENDPOINT = Sql(delete(_e).where(_ENDPOINT))
_COUNT_ENDPOINTS = Sql(
    select(func.count()).select_from(_e).where(_e.c.account_id == bindparam("account_id"))
)
_ENABLED_ENDPOINTS = Sql(
    select(_e)
    .where(_e.c.account_id == bindparam("account_id"), _e.c.status == literal("enabled"))
    .order_by(_e.c.id)
)
_CLEAR_ENDPOINT_QUEUE = Sql(
    delete(_q).where(
        _q.c.account_id == bindparam("account_id"), _q.c.endpoint_id == bindparam("id")
    )
)
_UPDATE_TARGET = and_(
    _e.c.account_id == bindparam("where_account_id"), _e.c.id == bindparam("where_id")
)
_MARK_FAILING = Sql(
    update(_e)
    .where(_UPDATE_TARGET)
    .values(failing_since=func.coalesce(_e.c.failing_since, bindparam("now")))
    .returning(_e)
)
_MARK_HEALTHY = Sql(
    update(_e).where(_UPDATE_TARGET, _e.c.failing_since.is_not(None)).values(failing_since=None)
)


@cache
def _update_endpoint(columns: tuple[str, ...]) -> Sql:
    values: dict[str, Any] = {name: bindparam(f"v_{name}") for name in columns}
    return Sql(update(_e).where(_UPDATE_TARGET).values(values).returning(_e))


@cache
def _list_endpoints(shape: KeysetShape, statuses: int) -> Sql:
    conditions = [_e.c.account_id == bindparam("account_id")]
    if statuses:
        conditions.append(one_of(_e.c.status, "status", statuses))
    return keyset_page(select(_e), _e.c.id, shape, *conditions)


class EndpointRepository(ScopedRepository):
    async def insert(self, values: dict[str, Any]) -> None:
        await self.conn.execute(_INSERT_ENDPOINT, self.row_params(values))

    async def count(self) -> int:
        return int(await self.conn.scalar(_COUNT_ENDPOINTS, {"account_id": self.account_id}))

    async def get(self, endpoint_id: str, *, for_update: bool = False) -> Record | None:
        sql = _GET_ENDPOINT_FOR_UPDATE if for_update and self.conn.is_postgres else _GET_ENDPOINT
        return await self.conn.one(sql, {"account_id": self.account_id, "id": endpoint_id})

    async def update(self, endpoint_id: str, values: dict[str, Any]) -> Record:
        columns = tuple(sorted(values))
        params = {f"v_{name}": values[name] for name in columns}
        params.update(where_account_id=self.account_id, where_id=endpoint_id)
        row = await self.conn.one(_update_endpoint(columns), params)
        assert row is not None, "the caller found the endpoint in this transaction"
        return row

    async def delete(self, endpoint_id: str) -> bool:
        params = {"account_id": self.account_id, "id": endpoint_id}
        return await self.conn.execute(_DELETE_ENDPOINT, params) > 0

    async def list(self, statuses: tuple[str, ...], window: Window) -> Sequence[Record]:
        params = keyset_params(window, "we_")
        params["account_id"] = self.account_id
        for index, status in enumerate(statuses):
            params[f"status_{index}"] = status
        return await self.conn.all(_list_endpoints(keyset_shape(window), len(statuses)), params)

    async def enabled(self) -> Sequence[Record]:
        return await self.conn.all(_ENABLED_ENDPOINTS, {"account_id": self.account_id})

    async def clear_queue(self, endpoint_id: str) -> None:
        """Drops what was waiting for the endpoint: a disabled endpoint gets nothing."""
        await self.conn.execute(
            _CLEAR_ENDPOINT_QUEUE, {"account_id": self.account_id, "id": endpoint_id}
        )

    async def mark_failing(self, endpoint_id: str, now: datetime) -> Record | None:
        params = {"where_account_id": self.account_id, "where_id": endpoint_id, "now": now}
        return await self.conn.one(_MARK_FAILING, params)

    async def mark_healthy(self, endpoint_id: str) -> None:
        params = {"where_account_id": self.account_id, "where_id": endpoint_id}
        await self.conn.execute(_MARK_HEALTHY, params)


def _queue_values() -> dict[str, Any]:
    return {c.name: bindparam(f"v_{c.name}") for c in _q.c}


# A redelivery starts the endpoint's delivery of the event afresh, even mid-retry.
_REQUEUE = {
    "postgresql": Sql(
        postgresql.insert(_q)
        .values(_queue_values())
        .on_conflict_do_update(
            index_elements=[_q.c.account_id, _q.c.endpoint_id, _q.c.event_id],
            set_={
                "attempts": 0,
                "next_attempt_at": bindparam("v_next_attempt_at"),
                "claim": None,
                "created_at": bindparam("v_created_at"),
            },
        )
    ),
    "sqlite": Sql(
        sqlite.insert(_q)
        .values(_queue_values())
        .on_conflict_do_update(
            index_elements=[_q.c.account_id, _q.c.endpoint_id, _q.c.event_id],
            set_={
                "attempts": 0,
                "next_attempt_at": bindparam("v_next_attempt_at"),
                "claim": None,
                "created_at": bindparam("v_created_at"),
            },
        )
    ),
}
# The first queueing of an event; a redelivery that came first already did it.
_ENQUEUE = {
    "postgresql": Sql(postgresql.insert(_q).values(_queue_values()).on_conflict_do_nothing()),
    "sqlite": Sql(sqlite.insert(_q).values(_queue_values()).on_conflict_do_nothing()),
}


def _queue_params(
    account_id: str, endpoint_id: str, event_id: str, now: datetime
) -> dict[str, Any]:
    return {
        "v_account_id": account_id,
        "v_endpoint_id": endpoint_id,
        "v_event_id": event_id,
        "v_attempts": 0,
        "v_next_attempt_at": now,
        "v_claim": None,
        "v_created_at": now,
    }


class QueueRepository(ScopedRepository):
    async def requeue(self, endpoint_ids: Sequence[str], event_id: str, now: datetime) -> None:
        rows = [
            _queue_params(self.account_id, endpoint, event_id, now) for endpoint in endpoint_ids
        ]
        await self.conn.execute_many(_REQUEUE[self.conn.dialect], rows)


_DELIVERY = _d.c
_INSERT_DELIVERY = Sql(insert(_d).values({c.name: bindparam(f"v_{c.name}") for c in _d.c}))


@cache
def _list_deliveries(shape: KeysetShape, by_event: bool) -> Sql:
    conditions = [
        _DELIVERY.account_id == bindparam("account_id"),
        _DELIVERY.endpoint_id == bindparam("endpoint_id"),
    ]
    if by_event:
        conditions.append(_DELIVERY.event_id == bindparam("event_id"))
    return keyset_page(select(_d), _DELIVERY.id, shape, *conditions)


class DeliveryRepository(ScopedRepository):
    async def insert(self, values: dict[str, Any]) -> None:
        await self.conn.execute(_INSERT_DELIVERY, self.row_params(values))

    async def list(
        self, endpoint_id: str, event_id: str | None, window: Window
    ) -> Sequence[Record]:
        params = keyset_params(window, "wd_")
        params.update(account_id=self.account_id, endpoint_id=endpoint_id, event_id=event_id)
        sql = _list_deliveries(keyset_shape(window), event_id is not None)
        return await self.conn.all(sql, params)


# The worker's side: which accounts have deliveries due is read across accounts; each
# account's deliveries are then claimed apart, locked on its own shard (decision 0028).

_DUE_NOW = _q.c.next_attempt_at <= bindparam("now")
# Named apart from the column: SQLAlchemy keeps a column's own name for an UPDATE's SET.
_OF_ACCOUNT = _q.c.account_id == bindparam("where_account_id")
_ACCOUNTS_DUE = Sql(
    select(_q.c.account_id)
    .where(_DUE_NOW)
    .order_by(_q.c.next_attempt_at)
    .limit(bindparam("limit")),
    cross_account=True,
)
# Materialized, so the locked rows are chosen once: inlined beside the account filter,
# PostgreSQL may run the subquery again per row, and with SKIP LOCKED each run finds
# more rows, so one claim took far past its limit.
_DUE = (
    select(_q.c.account_id, _q.c.endpoint_id, _q.c.event_id)
    .where(_OF_ACCOUNT, _DUE_NOW)
    .order_by(_q.c.next_attempt_at)
    .limit(bindparam("limit"))
    .with_for_update(skip_locked=True)
    .cte("due")
    .prefix_with("MATERIALIZED")
)
_CLAIM = Sql(
    update(_q)
    .where(
        _OF_ACCOUNT,
        tuple_(_q.c.account_id, _q.c.endpoint_id, _q.c.event_id).in_(
            select(_DUE.c.account_id, _DUE.c.endpoint_id, _DUE.c.event_id)
        ),
    )
    .values(
        attempts=_q.c.attempts + 1,
        next_attempt_at=bindparam("lease_until"),
        claim=bindparam("claim"),
    )
    .add_cte(_DUE)
)
_CLAIMED = Sql(
    select(
        _q.c.account_id,
        _q.c.endpoint_id,
        _q.c.event_id,
        _q.c.attempts,
        _q.c.created_at,
        _e.c.url,
        _e.c.secret,
    )
    .select_from(_q.join(_e, and_(_e.c.account_id == _q.c.account_id, _e.c.id == _q.c.endpoint_id)))
    .where(_OF_ACCOUNT, _q.c.claim == bindparam("claim"))
)
_HELD = and_(
    _q.c.account_id == bindparam("where_account_id"),
    _q.c.endpoint_id == bindparam("where_endpoint_id"),
    _q.c.event_id == bindparam("where_event_id"),
    _q.c.claim == bindparam("where_claim"),
)
_FINISH = Sql(delete(_q).where(_HELD))
_RETRY_LATER = Sql(
    update(_q).where(_HELD).values(next_attempt_at=bindparam("next_attempt_at"), claim=None)
)


class UnscopedDeliveryQueue:
    """The queue of every account, for the delivery workers only."""

    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def accounts_due(self, now: datetime, limit: int) -> list[str]:
        """The accounts of the ``limit`` deliveries due longest, longest first, each once."""
        rows = await self.conn.all(_ACCOUNTS_DUE, {"now": now, "limit": limit})
        return list(dict.fromkeys(str(row["account_id"]) for row in rows))

    async def enqueue(self, rows: Sequence[tuple[str, str, str]], now: datetime) -> None:
        """Queues (account, endpoint, event) deliveries, due now."""
        params = [_queue_params(account, endpoint, event, now) for account, endpoint, event in rows]
        await self.conn.execute_many(_ENQUEUE[self.conn.dialect], params)

    async def claim(
        self, account_id: str, claim: str, *, now: datetime, lease_until: datetime, limit: int
    ) -> Sequence[Record]:
        """Takes up to ``limit`` of the account's due deliveries: hidden from other workers
        until ``lease_until``, when they are due again should this worker never report
        back. The claimed deliveries, with their endpoint's URL and secret."""
        params = {
            "where_account_id": account_id,
            "claim": claim,
            "now": now,
            "lease_until": lease_until,
            "limit": limit,
        }
        await self.conn.execute(_CLAIM, params)
        return await self.conn.all(_CLAIMED, {"where_account_id": account_id, "claim": claim})

    async def finish(self, key: QueueKey) -> bool:
        """Removes a delivery that succeeded or ran out of retries, if still ours."""
        return await self.conn.execute(_FINISH, key.params()) > 0

    async def retry_later(self, key: QueueKey, when: datetime) -> bool:
        return await self.conn.execute(_RETRY_LATER, {**key.params(), "next_attempt_at": when}) > 0


class QueueKey:
    """One claimed delivery, as the claim that took it."""

    __slots__ = ("account_id", "claim", "endpoint_id", "event_id")

    def __init__(self, account_id: str, endpoint_id: str, event_id: str, claim: str) -> None:
        self.account_id = account_id
        self.endpoint_id = endpoint_id
        self.event_id = event_id
        self.claim = claim

    def params(self) -> dict[str, Any]:
        return {
            "where_account_id": self.account_id,
            "where_endpoint_id": self.endpoint_id,
            "where_event_id": self.event_id,
            "where_claim": self.claim,
        }
