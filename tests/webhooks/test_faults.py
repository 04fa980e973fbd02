"""Processes killed with SIGKILL (API.md §6, §7, §9): nothing committed is lost, no event
is written without its row or left without its delivery.

Real ``mteja serve`` and ``mteja worker`` processes on a fresh database of their own; the
merchant's endpoints are loopback receivers (``tests/webhooks/receiver.py``). A worker
killed mid-delivery leaves its claims to come back when their lease ends: with a 1 s
timeout the lease is 2 x 1 + 5 = 7 s, so the waits here are bounded well past that.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook

from tests.conftest import BACKENDS
from tests.contract import every_item
from tests.factories import customer_body
from tests.servers import (
    HTTP_TIMEOUT,
    create_account_here,
    fresh_database,
    log_tail,
    serving_with,
    start_mteja,
    stop_process,
    webhook_environment,
)
from tests.webhooks.receiver import Receiver, receiving

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("backend", BACKENDS)]

CUSTOMERS = "/api/v1/customers"
EVENTS = "/api/v1/events"
ENDPOINTS = "/api/v1/webhook_endpoints"

# How long a receiver holds each delivery before answering 200.
HOLD = 0.4
# Lease (7 s) + a worker's start-up + delivering what is left, with room on a slow machine.
REDELIVERY_WITHIN = 60.0


def authed(base_url: str, api_key: str, connections: int = 16) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=base_url,
        headers={"Authorization": f"Bearer {api_key}"},
        timeout=HTTP_TIMEOUT,
        limits=httpx.Limits(max_connections=connections),
    )


async def subscribe(http: httpx.AsyncClient, receiver: Receiver) -> tuple[str, str]:
    """A ``customer.*`` endpoint at ``receiver``: its id and signing secret."""
    response = await http.post(
        ENDPOINTS, json={"url": f"{receiver.url}/a", "enabled_events": ["customer.*"]}
    )
    assert response.status_code == 201, response.text
    return response.json()["id"], response.json()["secret"]


async def create_customers(http: httpx.AsyncClient, count: int, at_once: int) -> list[str]:
    gate = asyncio.Semaphore(at_once)

    async def one() -> str:
        async with gate:
            response = await http.post(CUSTOMERS, json=customer_body())
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    return list(await asyncio.gather(*(one() for _ in range(count))))


async def created_events(http: httpx.AsyncClient) -> list[dict[str, Any]]:
    return await every_item(http, EVENTS, type="customer.created")


async def eventually(check: Callable[[], Awaitable[str | None]], within: float) -> None:
    """Polls ``check`` (which says what is still wrong, or None) until it passes."""
    deadline = time.monotonic() + within
    while True:
        problem = await check()
        if problem is None:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"still after {within:.0f} s: {problem}")
        await asyncio.sleep(0.05)


def kill(process: subprocess.Popen[bytes]) -> None:
    process.kill()
    process.wait(timeout=10)


@dataclass(frozen=True)
class Endpoint:
    name: str
    receiver: Receiver
    id: str
    secret: str


async def test_a_worker_killed_mid_delivery_leaves_every_event_to_the_next_worker(
    backend: str, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    customers = 40
    async with AsyncExitStack() as stack:
        database_url = await stack.enter_async_context(
            fresh_database(backend, tmp_path_factory, "kill-worker")
        )
        api_key = await create_account_here(database_url, "Killed worker merchant")
        env = webhook_environment(database_url)
        receivers = [stack.enter_context(receiving()) for _ in range(2)]
        for receiver in receivers:
            receiver.delay = HOLD  # answers take a while: many deliveries are in flight
        # The first worker starts up beside the server: process start-up is most of the cost.
        doomed = start_mteja(["worker"], env, tmp_path, "worker-1")
        stack.callback(stop_process, doomed)
        _, base_url = stack.enter_context(serving_with(env, tmp_path, "--no-worker"))
        http = await stack.enter_async_context(authed(base_url, api_key))
        endpoints = [
            Endpoint(name, receiver, *await subscribe(http, receiver))
            for name, receiver in zip(("first", "second"), receivers, strict=True)
        ]

        # Killed as soon as it is busy: while customers are still being created (their
        # events then wait for the next worker) or just after.
        creating = asyncio.create_task(create_customers(http, customers, at_once=8))
        try:
            await eventually(lambda: _busy(receivers, creating), within=REDELIVERY_WITHIN)
        except AssertionError:
            creating.cancel()
            pytest.fail(f"the first worker sent little:\n{log_tail(tmp_path, 'worker-1')}")
        kill(doomed)
        killed_at = time.monotonic()
        arrived = {
            (e.id, r.headers["webhook-id"], r.at) for e in endpoints for r in e.receiver.received
        }
        deliveries = customers * len(endpoints)
        assert len(arrived) < deliveries, f"all {deliveries} arrived before the kill"
        # Still held by the receiver when the worker died: answered to nobody, never recorded.
        cut_off = {(endpoint, event) for endpoint, event, at in arrived if killed_at - at < HOLD}
        assert cut_off, "no delivery was in flight when the worker was killed"
        created = await creating
        events = await created_events(http)
        event_ids = {event["id"] for event in events}
        assert sorted(event["data"]["object"]["id"] for event in events) == sorted(created)

        successor = start_mteja(["worker"], env, tmp_path, "worker-2")
        stack.callback(stop_process, successor)

        for endpoint in endpoints:
            try:
                await endpoint.receiver.wait_for(
                    lambda got: event_ids <= {r.headers["webhook-id"] for r in got},
                    within=REDELIVERY_WITHIN,
                )
            except AssertionError:
                got = {r.headers["webhook-id"] for r in endpoint.receiver.received}
                pytest.fail(
                    f"{backend}: endpoint {endpoint.name} never got {len(event_ids - got)} of "
                    f"{len(event_ids)} events ({len(arrived)} of {deliveries} deliveries arrived "
                    f"when the worker was killed):\n{log_tail(tmp_path, 'worker-2')}"
                )
            for request in endpoint.receiver.received:
                assert request.path == "/a"
                payload = Webhook(endpoint.secret).verify(request.body, request.headers)
                assert payload["id"] == request.headers["webhook-id"]
                assert payload["type"] == "customer.created"
                assert payload["id"] in event_ids

        retried: set[tuple[str, str]] = set()
        for endpoint in endpoints:
            await eventually(
                lambda endpoint=endpoint: _all_succeeded(http, endpoint, event_ids, retried),
                within=REDELIVERY_WITHIN,
            )
        # The deliveries cut off came back when their lease ran out, as a second attempt.
        assert cut_off <= retried, f"cut off but not attempted again: {cut_off - retried}"


async def _busy(receivers: list[Receiver], creating: asyncio.Task[Any]) -> str | None:
    """None once a few deliveries arrived and one arrived just now: it is still in flight."""
    if creating.done() and creating.exception() is not None:
        raise creating.exception()  # type: ignore[misc]
    arrived = [request for receiver in receivers for request in receiver.received]
    latest = max((request.at for request in arrived), default=0.0)
    if len(arrived) >= 8 and time.monotonic() - latest < HOLD / 2:
        return None
    return f"{len(arrived)} deliveries arrived, none in the last {HOLD / 2} s"


async def _all_succeeded(
    http: httpx.AsyncClient,
    endpoint: Endpoint,
    event_ids: set[str],
    retried: set[tuple[str, str]],
) -> str | None:
    """None once each event has a succeeded attempt at ``endpoint`` (and those that took more
    than one attempt are added to ``retried``)."""
    attempts = await every_item(http, f"{ENDPOINTS}/{endpoint.id}/deliveries")
    succeeded = [attempt for attempt in attempts if attempt["succeeded"]]
    missing = event_ids - {attempt["event_id"] for attempt in succeeded}
    if missing:
        return f"{endpoint.name}: no succeeded attempt for {len(missing)} of {len(event_ids)}"
    retried.update((endpoint.id, a["event_id"]) for a in succeeded if a["attempt"] > 1)
    return None


async def test_a_server_killed_during_a_burst_of_creates_loses_no_customer_and_no_event(
    backend: str, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    total, at_once, kill_after = 300, 16, 100
    async with fresh_database(backend, tmp_path_factory, "kill-server") as database_url:
        api_key = await create_account_here(database_url, "Killed server merchant")
        env = webhook_environment(database_url)
        confirmed: list[dict[str, Any]] = []
        answered: list[httpx.Response] = []
        unknown: list[BaseException] = []

        with serving_with(env, tmp_path, name="serve-1") as (server, base_url):
            async with authed(base_url, api_key, connections=at_once) as http:
                gate = asyncio.Semaphore(at_once)

                async def create(body: dict[str, Any]) -> None:
                    async with gate:
                        try:
                            response = await http.post(CUSTOMERS, json=body)
                        except httpx.TransportError as error:
                            unknown.append(error)  # sent or not, committed or not: unknown
                            return
                    answered.append(response)
                    if response.status_code == 201:
                        confirmed.append(response.json())
                    if len(answered) == kill_after:
                        kill(server)

                bodies = [
                    customer_body(email=f"burst-{uuid.uuid4().hex}@example.com")
                    for _ in range(total)
                ]
                await asyncio.gather(*(create(body) for body in bodies))
            assert server.poll() is not None, "the server was never killed"

        statuses = Counter(response.status_code for response in answered)
        assert set(statuses) == {201}, f"{backend}: answers before the kill: {statuses}\n" + (
            "\n".join(r.text for r in answered if r.status_code != 201)
        )
        assert kill_after <= len(confirmed) < total, (
            f"{len(confirmed)} of {total} created: the kill did not land mid-burst"
        )
        assert unknown, "no request was cut off by the kill"

        with serving_with(env, tmp_path, name="serve-2") as (_, base_url):
            async with authed(base_url, api_key) as http:
                for customer in confirmed:
                    again = await http.get(f"{CUSTOMERS}/{customer['id']}")
                    assert again.status_code == 200, (
                        f"{backend}: customer {customer['id']} was answered 201 before the kill "
                        f"but is gone after the restart: {again.text}"
                    )
                    assert again.json()["email"] == customer["email"]

                existing = [c["id"] for c in await every_item(http, CUSTOMERS)]
                events = await created_events(http)

        assert len(existing) == len(set(existing))
        assert {c["id"] for c in confirmed} <= set(existing)
        assert len(existing) <= len(confirmed) + len(unknown)
        per_customer = Counter(event["data"]["object"]["id"] for event in events)
        without_event = [id_ for id_ in existing if per_customer[id_] == 0]
        assert not without_event, f"{backend}: customers without customer.created: {without_event}"
        repeated = {id_: n for id_, n in per_customer.items() if n > 1}
        assert not repeated, f"{backend}: customers with several customer.created: {repeated}"
        orphans = set(per_customer) - set(existing)
        assert not orphans, f"{backend}: customer.created events without a customer: {orphans}"
