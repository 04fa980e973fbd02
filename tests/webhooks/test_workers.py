"""Who delivers webhooks (API.md §7, §9; docs/webhooks.md "Running delivery"): ``mteja
serve`` in its own process unless ``--no-worker``; ``mteja worker`` processes beside it,
any number on PostgreSQL without sending an event twice; a worker stops cleanly on SIGTERM.

Each backend's tests share one database and one ``mteja serve --no-worker``; each test has
an account of its own and starts (and always stops) the delivering processes it needs, so
no worker of one test is left running into the next.
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack, contextmanager
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

pytestmark = pytest.mark.slow

CUSTOMERS = "/api/v1/customers"
EVENTS = "/api/v1/events"
ENDPOINTS = "/api/v1/webhook_endpoints"
# A worker process's start-up (imports, first poll) on a busy machine, then the delivery.
DELIVERED_WITHIN = 45.0


@dataclass(frozen=True)
class Site:
    """One backend's database and the ``mteja serve --no-worker`` in front of it."""

    backend: str
    database_url: str
    base_url: str
    workdir: Path


@pytest.fixture(scope="module", params=BACKENDS)
async def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Site]:
    backend = request.param
    workdir = tmp_path_factory.mktemp(f"workers-{backend}")
    async with fresh_database(backend, tmp_path_factory, "workers") as database_url:
        await create_account_here(database_url, "First merchant")  # migrates
        env = webhook_environment(database_url)
        with serving_with(env, workdir, "--no-worker") as (_, base_url):
            yield Site(backend, database_url, base_url, workdir)


def client(base_url: str, api_key: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=base_url,
        headers={"Authorization": f"Bearer {api_key}"},
        timeout=HTTP_TIMEOUT,
        limits=httpx.Limits(max_connections=16),
    )


async def subscribe(http: httpx.AsyncClient, receiver: Receiver) -> str:
    """A ``customer.*`` endpoint at ``receiver``; its signing secret."""
    response = await http.post(
        ENDPOINTS, json={"url": f"{receiver.url}/hooks", "enabled_events": ["customer.*"]}
    )
    assert response.status_code == 201, response.text
    return str(response.json()["secret"])


async def create_customers(http: httpx.AsyncClient, count: int) -> list[str]:
    gate = asyncio.Semaphore(16)

    async def one() -> str:
        async with gate:
            response = await http.post(CUSTOMERS, json=customer_body())
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    return list(await asyncio.gather(*(one() for _ in range(count))))


async def created_event(http: httpx.AsyncClient) -> str:
    """A new customer's ``customer.created`` event id."""
    [customer_id] = await create_customers(http, 1)
    events = await every_item(http, EVENTS, type="customer.created")
    ids = [event["id"] for event in events if event["data"]["object"]["id"] == customer_id]
    assert len(ids) == 1, events
    return str(ids[0])


def ids_received(receiver: Receiver) -> list[str]:
    return [request.headers["webhook-id"] for request in receiver.received]


def assert_signed(receiver: Receiver, secret: str) -> None:
    for request in receiver.received:
        assert request.path == "/hooks"
        payload = Webhook(secret).verify(request.body, request.headers)
        assert payload["id"] == request.headers["webhook-id"]
        assert payload["type"] == "customer.created"


async def arrives(receiver: Receiver, event_id: str, log: Path) -> None:
    try:
        await receiver.wait_for(lambda _: event_id in ids_received(receiver), DELIVERED_WITHIN)
    except AssertionError:
        pytest.fail(f"{event_id} never arrived:\n{log_tail(log.parent, log.stem)}", pytrace=False)


async def attempts(http: httpx.AsyncClient, **params: str) -> list[dict[str, Any]]:
    """Every delivery attempt to the account's one endpoint."""
    [endpoint] = await every_item(http, ENDPOINTS)
    return await every_item(http, f"{ENDPOINTS}/{endpoint['id']}/deliveries", **params)


@contextmanager
def workers(
    site: Site, name: str, count: int = 1, **settings: str
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """``count`` ``mteja worker`` processes (logs ``<name>-<n>.log``), always stopped."""
    env = webhook_environment(site.database_url, **settings)
    env["MTEJA_LOG_LEVEL"] = "info"  # a line per attempt: which worker sent what
    with ExitStack() as stack:
        started = []
        for n in range(count):
            process = start_mteja(["worker"], env, site.workdir, f"{name}-{n}")
            stack.callback(stop_process, process)
            started.append(process)
        yield started


def attempts_logged(log: Path, event_ids: set[str]) -> int:
    """How many attempts at ``event_ids`` the worker writing ``log`` made."""
    count = 0
    for line in log.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("event") == "webhook attempt" and entry.get("event_id") in event_ids:
            count += 1
    return count


@pytest.mark.parametrize("site", ["postgresql"], indirect=True)
async def test_three_workers_send_each_event_exactly_once(site: Site) -> None:
    """PostgreSQL only: its workers share the queue with ``FOR UPDATE SKIP LOCKED``. On
    SQLite one process writes at a time and one worker is all it runs (docs/webhooks.md)."""
    customers, count = 150, 3
    with receiving() as receiver:
        # Quick, far inside the timeout even on a loaded machine: a send that timed out
        # would rightly be sent again (at least once), which is not what this test is about.
        receiver.delay = 0.1
        api_key = await create_account_here(site.database_url, "Many workers merchant")
        async with client(site.base_url, api_key) as http:
            secret = await subscribe(http, receiver)
            await create_customers(http, customers)
            event_ids = {e["id"] for e in await every_item(http, EVENTS, type="customer.created")}
            assert len(event_ids) == customers

            # All queued before the workers start, which then race for it; a small
            # concurrency keeps one worker from taking everything in its first claims.
            with workers(site, "many", count, concurrency="4", timeout_seconds="10") as started:
                try:
                    await receiver.wait_for(
                        lambda _: event_ids <= set(ids_received(receiver)), DELIVERED_WITHIN
                    )
                except AssertionError:
                    missing = len(event_ids - set(ids_received(receiver)))
                    logs = "\n".join(log_tail(site.workdir, f"many-{n}", 10) for n in range(count))
                    pytest.fail(f"{missing} of {customers} events never arrived:\n{logs}")
                # Stopped, the workers can send nothing more: what arrived is all there is.
                for process in started:
                    process.send_signal(signal.SIGTERM)
                codes = [process.wait(timeout=30) for process in started]
            assert codes == [0] * count

            received = Counter(ids_received(receiver))
            twice = {event_id: n for event_id, n in received.items() if n > 1}
            assert not twice, f"sent more than once: {twice}"
            assert set(received) == event_ids
            assert received.total() == len(event_ids)
            assert_signed(receiver, secret)

            tried = await attempts(http)
            per_event = Counter(attempt["event_id"] for attempt in tried)
            assert per_event == Counter(event_ids), "an event was attempted more than once"
            assert all(a["succeeded"] and a["attempt"] == 1 for a in tried), tried

        by_worker = [
            attempts_logged(site.workdir / f"many-{n}.log", event_ids) for n in range(count)
        ]
        assert sum(by_worker) == len(event_ids), by_worker
        assert sum(1 for n in by_worker if n) >= 2, (
            f"one worker sent everything {by_worker}: the others never raced it"
        )


async def test_serve_delivers_webhooks_in_its_own_process(site: Site) -> None:
    with receiving() as receiver:
        env = webhook_environment(site.database_url)
        with serving_with(env, site.workdir, name="serve-delivering") as (_, base_url):
            api_key = await create_account_here(site.database_url, "In-process merchant")
            async with client(base_url, api_key) as http:
                secret = await subscribe(http, receiver)
                event_id = await created_event(http)
                await arrives(receiver, event_id, site.workdir / "serve-delivering.log")
                assert ids_received(receiver) == [event_id]
                assert_signed(receiver, secret)


async def test_serve_with_no_worker_leaves_delivery_to_a_worker(site: Site) -> None:
    with receiving() as receiver:
        api_key = await create_account_here(site.database_url, "Worker merchant")
        async with client(site.base_url, api_key) as http:
            secret = await subscribe(http, receiver)
            event_id = await created_event(http)

            # Well past the 0.05 s poll interval: a worker in the server would have sent it.
            await asyncio.sleep(2.0)
            assert receiver.received == [], "mteja serve --no-worker delivered a webhook"
            assert await attempts(http) == []

            with workers(site, "late"):
                await arrives(receiver, event_id, site.workdir / "late-0.log")
                assert ids_received(receiver) == [event_id]
                assert_signed(receiver, secret)


async def test_sigterm_stops_a_worker_with_exit_0_once_its_delivery_in_flight_is_done(
    site: Site,
) -> None:
    hold = 2.0
    with receiving() as receiver:
        api_key = await create_account_here(site.database_url, "Stopping merchant")
        async with client(site.base_url, api_key) as http:
            secret = await subscribe(http, receiver)
            log = site.workdir / "stopping-0.log"
            with workers(site, "stopping", timeout_seconds="5") as [worker]:
                first = await created_event(http)
                await arrives(receiver, first, log)  # running, its signal handlers in place

                receiver.delay = hold
                second = await created_event(http)
                await arrives(receiver, second, log)  # in flight: the receiver holds it
                worker.send_signal(signal.SIGTERM)
                try:
                    # The answer in flight, then at most a poll and a commit.
                    code = worker.wait(timeout=hold + 8)
                except subprocess.TimeoutExpired:
                    pytest.fail(f"no exit after SIGTERM:\n{log_tail(log.parent, log.stem)}")
            assert code == 0, f"exit code {code} after SIGTERM:\n{log_tail(log.parent, log.stem)}"

            # It waited for the answer in flight and recorded it: not sent again.
            tried = [(a["attempt"], a["succeeded"]) for a in await attempts(http, event_id=second)]
            assert tried == [(1, True)], f"the delivery in flight at SIGTERM was left: {tried}"
            assert ids_received(receiver) == [first, second]
            assert_signed(receiver, secret)
