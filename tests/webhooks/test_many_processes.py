"""Three ``mteja serve`` and two ``mteja worker`` processes on one PostgreSQL database
(through PgBouncer in the pooler leg), one server and one worker killed with SIGKILL
halfway through a burst of creates and updates.

Clients send every write with an Idempotency-Key and, on a connection error, send it
again to the next server, as the SDK does. Then: every acknowledged write is there, none
was done twice, and every event reached the subscribed endpoint at least once.
docs/webhooks.md promises no order between deliveries (retries and parallel workers
reorder them); what it promises is that event ids are time-ordered and each event carries
its ``created_at``, which is checked per customer.
"""

from __future__ import annotations

import asyncio
import subprocess
from collections import Counter
from contextlib import ExitStack
from typing import Any

import httpx
import pytest

from mteja_client._base import new_idempotency_key
from tests.contract import every_item
from tests.factories import customer_body
from tests.servers import (
    HTTP_TIMEOUT,
    create_account_here,
    fresh_database,
    serving_with,
    start_mteja,
    stop_process,
    webhook_environment,
)
from tests.webhooks.receiver import Receiver, receiving

pytestmark = pytest.mark.slow

CUSTOMERS = "/api/v1/customers"
SERVERS, WORKERS, CUSTOMER_COUNT = 3, 2, 40
# The killed worker's claims come back when their lease (7 s) ends; room for a slow machine.
DELIVERED_WITHIN = 90.0


class Spread:
    """Writes spread over the servers, each resent to the next server on a connection
    error with the same Idempotency-Key (the SDK's retry)."""

    def __init__(self, clients: list[httpx.AsyncClient]) -> None:
        self.clients = clients
        self.turn = 0

    async def send(self, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        headers = {"Idempotency-Key": new_idempotency_key()}
        self.turn += 1
        for attempt in range(len(self.clients) * 3):
            http = self.clients[(self.turn + attempt) % len(self.clients)]
            try:
                response = await http.request(method, path, json=body, headers=headers)
            except httpx.TransportError:
                continue
            if response.status_code == 409:  # the same key still running elsewhere
                await asyncio.sleep(0.2)
                continue
            assert response.status_code in (200, 201), response.text
            return dict(response.json())
        pytest.fail(f"{method} {path} never acknowledged")


async def _burst(spread: Spread, half: asyncio.Event) -> dict[str, str]:
    """Creates the customers, then renames each; the names each customer must end with."""
    created = await asyncio.gather(
        *(spread.send("POST", CUSTOMERS, customer_body()) for _ in range(CUSTOMER_COUNT))
    )
    half.set()
    final = {customer["id"]: f"Renamed {customer['id'][-6:]}" for customer in created}
    await asyncio.gather(
        *(spread.send("PATCH", f"{CUSTOMERS}/{cid}", {"name": n}) for cid, n in final.items())
    )
    return final


def _kill(process: subprocess.Popen[bytes]) -> None:
    process.kill()
    process.wait(timeout=10)


def _received_ids(receiver: Receiver) -> Counter[str]:
    return Counter(r.headers.get("webhook-id", "") for r in receiver.received)


async def test_three_servers_and_two_workers_lose_nothing_when_one_of_each_is_killed(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    workdir = tmp_path_factory.mktemp("many-processes")
    async with fresh_database("postgresql", tmp_path_factory, "many") as url:
        api_key = await create_account_here(url, "Many processes merchant")
        env = webhook_environment(url)
        with receiving() as receiver, ExitStack() as stack:
            servers = [
                stack.enter_context(serving_with(env, workdir, "--no-worker", name=f"serve-{n}"))
                for n in range(SERVERS)
            ]
            workers = [start_mteja(["worker"], env, workdir, f"worker-{n}") for n in range(WORKERS)]
            for worker in workers:
                stack.callback(stop_process, worker)
            await _check(servers, workers, receiver, api_key)


async def _check(
    servers: list[tuple[subprocess.Popen[bytes], str]],
    workers: list[subprocess.Popen[bytes]],
    receiver: Receiver,
    api_key: str,
) -> None:
    headers = {"Authorization": f"Bearer {api_key}"}
    clients = [
        httpx.AsyncClient(base_url=base_url, headers=headers, timeout=HTTP_TIMEOUT)
        for _, base_url in servers
    ]
    try:
        http = clients[1]
        endpoint = await http.post(
            "/api/v1/webhook_endpoints",
            json={"url": f"{receiver.url}/hook", "enabled_events": ["customer.*"]},
        )
        assert endpoint.status_code == 201, endpoint.text
        half = asyncio.Event()
        burst = asyncio.create_task(_burst(Spread(clients), half))
        await half.wait()
        _kill(servers[0][0])
        _kill(workers[0])
        final = await burst

        # Every acknowledged write is there, once.
        stored = await every_item(http, CUSTOMERS)
        assert Counter(c["id"] for c in stored) == Counter(list(final))
        assert {c["id"]: c["name"] for c in stored} == final
        events = await every_item(http, "/api/v1/events")
        per_type = Counter(e["type"] for e in events if e["type"].startswith("customer."))
        assert per_type == {"customer.created": CUSTOMER_COUNT, "customer.updated": CUSTOMER_COUNT}
        by_customer: dict[str, list[dict[str, Any]]] = {}
        for event in events:
            if not event["type"].startswith("customer."):
                continue
            by_customer.setdefault(event["data"]["object"]["id"], []).append(event)
        for history in by_customer.values():
            ordered = sorted(history, key=lambda e: e["id"])
            assert [e["type"] for e in ordered] == ["customer.created", "customer.updated"]
            assert [e["created_at"] for e in ordered] == sorted(e["created_at"] for e in ordered)

        # Every event reached the endpoint at least once, through the surviving worker.
        wanted = {e["id"] for e in events if e["type"].startswith("customer.")}
        await receiver.wait_for(lambda _: wanted <= set(_received_ids(receiver)), DELIVERED_WITHIN)
    finally:
        for client in clients:
            await client.aclose()
