"""The delivery worker: queues new events for their endpoints, sends what is due,
records every attempt, retries with backoff and disables endpoints that keep failing.

No transaction stays open across a request to an endpoint. A delivery is claimed in one
short transaction (hidden from other workers for a lease longer than the timeout), sent,
then recorded in another; a worker that dies mid-delivery leaves it to be claimed again
when the lease ends, so every event reaches every endpoint at least once. On PostgreSQL
any number of workers share the queue: claims skip rows another worker has locked.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import orjson
import structlog
from ulid import ULID

from mteja import __version__
from mteja.config import Settings
from mteja.core.context import Caller
from mteja.core.ids import new_id_at
from mteja.core.time import utcnow
from mteja.db.engine import DATABASE_ERRORS, Database
from mteja.db.sql import Record
from mteja.db.uow import UnitOfWork
from mteja.events.outbox import Outbox
from mteja.events.recorder import EventRecorder
from mteja.events.schemas import render_event
from mteja.webhooks.delivery import Outcome, Sender, signed_headers
from mteja.webhooks.repository import (
    DeliveryRepository,
    EndpointRepository,
    QueueKey,
    UnscopedDeliveryQueue,
)
from mteja.webhooks.rules import retry_delay, subscribes
from mteja.webhooks.schemas import render_endpoint

log = structlog.get_logger("mteja.webhooks")

USER_AGENT = f"mteja-webhooks/{__version__}"


@dataclass(frozen=True, slots=True)
class WorkerConfig:
    timeout: float = 10.0
    retry_window: timedelta = timedelta(days=3)
    first_retry: timedelta = timedelta(seconds=30)
    poll_interval: float = 0.5
    concurrency: int = 16
    allow_private_targets: bool = False
    dispatch_batch: int = 500

    @classmethod
    def from_settings(cls, settings: Settings) -> WorkerConfig:
        return cls(
            timeout=settings.webhook_timeout_seconds,
            retry_window=timedelta(seconds=settings.webhook_retry_window_seconds),
            first_retry=timedelta(seconds=settings.webhook_first_retry_seconds),
            poll_interval=settings.webhook_poll_interval_seconds,
            concurrency=settings.webhook_concurrency,
            allow_private_targets=settings.webhook_allow_private_targets,
        )

    @property
    def lease(self) -> timedelta:
        """Long enough for a send to time out and be recorded, with room to spare."""
        return timedelta(seconds=self.timeout * 2 + 5)


@dataclass(frozen=True, slots=True)
class Claimed:
    key: QueueKey
    attempt: int
    started_at: datetime  # of this round of delivery: retries stop a window later
    url: str
    secret: str
    event_type: str
    body: bytes


class DeliveryWorker:
    # A worker needs few connections: one claim or record at a time per task.
    POOL_SIZE = 3

    def __init__(self, db: Database, config: WorkerConfig) -> None:
        self.db = db
        self.config = config
        self.sender = Sender(timeout=config.timeout, allow_private=config.allow_private_targets)

    async def run(self, stop: asyncio.Event) -> None:
        """Works until ``stop`` is set, then lets deliveries in flight finish."""
        inflight: set[asyncio.Task[None]] = set()
        stopping = asyncio.ensure_future(stop.wait())
        try:
            while not stop.is_set():
                busy = await self._cycle(inflight)
                if busy and len(inflight) < self.config.concurrency:
                    continue
                await asyncio.wait(
                    {stopping, *inflight},
                    timeout=self.config.poll_interval,
                    return_when=asyncio.FIRST_COMPLETED,
                )
        finally:
            stopping.cancel()
            if inflight:
                await asyncio.wait(inflight, timeout=self.config.timeout + 5)
            for task in inflight:
                task.cancel()
            await self.sender.aclose()

    async def _cycle(self, inflight: set[asyncio.Task[None]]) -> bool:
        """One round of queueing and claiming; whether there was anything to do."""
        try:
            dispatched = await self.dispatch()
            free = self.config.concurrency - len(inflight)
            claimed = await self.claim(free) if free > 0 else []
        except DATABASE_ERRORS as error:
            log.warning("webhook queue unavailable", error_type=type(error).__name__)
            return False
        for work in claimed:
            task = asyncio.create_task(self._deliver(work), name=f"webhook-{work.key.event_id}")
            inflight.add(task)
            task.add_done_callback(inflight.discard)
        return bool(dispatched or claimed)

    async def dispatch(self) -> int:
        """Queues new events for each enabled endpoint that wants them; how many events.
        Account by account: every statement that locks or writes stays on one account."""
        async with UnitOfWork(self.db) as uow:
            outbox = Outbox(uow)
            batch = self.config.dispatch_batch
            accounts = await outbox.accounts_pending(batch)
            if not accounts:
                return 0  # the usual answer, found without taking a write lock
            dispatched = 0
            for account_id in accounts:
                if dispatched >= batch:
                    break
                events = await outbox.take_pending(account_id, batch - dispatched)
                if events:
                    await self._queue(uow, account_id, events)
                    dispatched += len(events)
        return dispatched

    async def _queue(self, uow: UnitOfWork, account_id: str, events: Sequence[Record]) -> None:
        conn = await uow.write()
        endpoints = await EndpointRepository(conn, account_id).enabled()
        deliveries = [
            (account_id, endpoint["id"], event["id"])
            for event in events
            for endpoint in endpoints
            if _wants(endpoint, event)
        ]
        await UnscopedDeliveryQueue(conn).enqueue(deliveries, utcnow())
        await Outbox(uow).mark_dispatched([(account_id, row["id"]) for row in events])

    async def claim(self, limit: int) -> list[Claimed]:
        claim = str(ULID())
        now = utcnow()
        lease_until = now + self.config.lease
        claimed: list[Claimed] = []
        async with UnitOfWork(self.db) as uow:
            accounts = await UnscopedDeliveryQueue(await uow.read()).accounts_due(now, limit)
            for account_id in accounts:
                if len(claimed) >= limit:
                    break
                queue = UnscopedDeliveryQueue(await uow.write())
                rows = await queue.claim(
                    account_id, claim, now=now, lease_until=lease_until, limit=limit - len(claimed)
                )
                ids = list(dict.fromkeys(str(row["event_id"]) for row in rows))
                payloads = await Outbox(uow).payloads(account_id, ids)
                events = {event["id"]: event for event in payloads}
                # A delivery whose event retention removed meanwhile goes with it (cascade).
                claimed.extend(
                    _claimed(row, events[row["event_id"]], claim)
                    for row in rows
                    if row["event_id"] in events
                )
        return claimed

    async def _deliver(self, work: Claimed) -> None:
        try:
            await self._attempt(work)
        except Exception:
            # A task's failure would otherwise go unseen; the lease brings the work back.
            log.exception("webhook delivery failed", event_id=work.key.event_id)

    async def _attempt(self, work: Claimed) -> None:
        # Made as the attempt starts: the history lists attempts in the order they began.
        delivery_id, attempted_at = new_id_at("wd")
        headers = signed_headers(work.secret, work.key.event_id, work.body, USER_AGENT)
        outcome = await self.sender.send(work.url, headers, work.body)
        log.info(
            "webhook attempt",
            account_id=work.key.account_id,
            endpoint_id=work.key.endpoint_id,
            event_id=work.key.event_id,
            attempt=work.attempt,
            status_code=outcome.status_code,
            error=outcome.error,
            duration_ms=outcome.duration_ms,
        )
        try:
            await self.record(work, outcome, delivery_id, attempted_at)
        except DATABASE_ERRORS as error:
            # Not recorded: the lease runs out and the delivery is simply tried again.
            log.warning(
                "webhook attempt not recorded",
                event_id=work.key.event_id,
                error_type=type(error).__name__,
            )

    async def record(
        self, work: Claimed, outcome: Outcome, delivery_id: str, attempted_at: datetime
    ) -> None:
        key = work.key
        async with UnitOfWork(self.db) as uow:
            conn = await uow.write()
            endpoints = EndpointRepository(conn, key.account_id)
            # Locked first, as every change of an endpoint does, before its queue rows.
            endpoint = await endpoints.get(key.endpoint_id, for_update=True)
            if endpoint is None:
                return  # deleted meanwhile, with its queue and history
            await DeliveryRepository(conn, key.account_id).insert(
                {
                    "id": delivery_id,
                    "endpoint_id": key.endpoint_id,
                    "event_id": key.event_id,
                    "event_type": work.event_type,
                    "attempt": work.attempt,
                    "status_code": outcome.status_code,
                    "error": outcome.error,
                    "duration_ms": outcome.duration_ms,
                    "created_at": attempted_at,
                }
            )
            queue = UnscopedDeliveryQueue(conn)
            if outcome.succeeded:
                await queue.finish(key)
                await endpoints.mark_healthy(key.endpoint_id)
                return
            gave_up = await self._schedule_retry(queue, work)
            await self._count_failure(uow, endpoints, endpoint, work, gave_up=gave_up)

    async def _schedule_retry(self, queue: UnscopedDeliveryQueue, work: Claimed) -> bool:
        """Whether the delivery is out of retries (and so dropped)."""
        config = self.config
        now = utcnow()
        delay = retry_delay(
            work.attempt, first_retry=config.first_retry, window=config.retry_window
        )
        if now + delay - work.started_at > config.retry_window:
            await queue.finish(work.key)
            return True
        await queue.retry_later(work.key, now + delay)
        return False

    async def _count_failure(
        self,
        uow: UnitOfWork,
        endpoints: EndpointRepository,
        endpoint: Record,
        work: Claimed,
        *,
        gave_up: bool,
    ) -> None:
        """Disables an endpoint that has failed every attempt for the retry window, or
        whose delivery just ran out of retries with every attempt failed (the last retry
        comes a little before the window ends)."""
        now = utcnow()
        current = await endpoints.mark_failing(endpoint["id"], now)
        if current is None or current["status"] != "enabled":
            return
        failing_since = current["failing_since"]
        failing_throughout = gave_up and failing_since <= work.started_at
        if now - failing_since < self.config.retry_window and not failing_throughout:
            return
        disabled = await endpoints.update(
            endpoint["id"],
            {"status": "disabled", "version": current["version"] + 1, "updated_at": now},
        )
        await endpoints.clear_queue(endpoint["id"])
        await Outbox(uow).change_subscribers(endpoints.account_id, -1)
        caller = Caller.system(endpoints.account_id)
        await EventRecorder(await uow.write(), caller).updated(
            "webhook_endpoint",
            render_endpoint(current),
            render_endpoint(disabled),
            event_type="webhook_endpoint.disabled",
        )
        log.warning(
            "webhook endpoint disabled",
            account_id=endpoints.account_id,
            endpoint_id=endpoint["id"],
            failing_since=current["failing_since"].isoformat(),
        )


def _wants(endpoint: Record, event: Record) -> bool:
    """An endpoint gets the events written after it was created, of the types it chose."""
    return endpoint["created_at"] <= event["created_at"] and subscribes(
        endpoint["enabled_events"], event["type"]
    )


def _claimed(row: Record, event: Record, claim: str) -> Claimed:
    return Claimed(
        key=QueueKey(row["account_id"], row["endpoint_id"], row["event_id"], claim),
        attempt=row["attempts"],
        started_at=row["created_at"],
        url=row["url"],
        secret=row["secret"],
        event_type=event["type"],
        body=orjson.dumps(render_event(event)),
    )
