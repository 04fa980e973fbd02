"""The data-subject export (API.md section 10): the whole person as one JSON document,
streamed in constant memory."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from mteja.db.sql import Sql
from tests.conftest import BACKENDS, database, writing
from tests.contract import assert_error, every_item
from tests.factories import create_customer
from tests.servers import create_account, fresh_database, server_environment, serving_with

CUSTOMERS = "/api/v1/customers"


def url(customer_id: str, *rest: str) -> str:
    return "/".join([CUSTOMERS, customer_id, *rest])


async def post(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> Any:
    response = await client.post(path, json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def test_the_export_holds_the_customer_everything_it_owns_and_its_history(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client, address={"city": "Dodoma", "country": "TZ"})
    other = await create_customer(client)
    second = await post(client, url(customer["id"], "addresses"), {"country": "KE"})
    await client.patch(url(customer["id"], "addresses", second["id"]), json={"status": "archived"})
    await post(client, url(customer["id"], "businesses"), {"name": "Duka Ltd"})
    method = await post(
        client,
        url(customer["id"], "payment_methods"),
        {"type": "mobile_money", "mobile_money": {"phone": "+255754123456"}},
    )
    await client.patch(
        url(customer["id"], "payment_methods", method["id"]), json={"status": "revoked"}
    )
    await client.patch(url(other["id"]), json={"name": "Not in the export"})

    response = await client.get(url(customer["id"], "export"))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    document = response.json()
    assert list(document) == ["customer", "addresses", "businesses", "payment_methods", "events"]
    assert document["customer"] == (await client.get(url(customer["id"]))).json()
    for kind in ("addresses", "businesses", "payment_methods"):
        listed = await every_item(client, url(customer["id"], kind), order="asc")
        assert document[kind] == listed, kind
    assert {a["status"] for a in document["addresses"]} == {"active", "archived"}
    assert document["payment_methods"][0]["status"] == "revoked"
    timeline = await every_item(client, url(customer["id"], "events"), order="asc")
    assert document["events"] == timeline
    assert document["events"][0]["type"] == "customer.created"


async def test_exporting_an_unknown_or_foreign_customer_is_404(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    theirs = await create_customer(other_client)
    assert_error(await client.get(url(theirs["id"], "export")), 404, "resource_missing")
    deleted = await create_customer(client)
    await client.delete(url(deleted["id"]))
    assert_error(await client.get(url(deleted["id"], "export")), 404, "resource_missing")


_HISTORY = 100_000
_SEED_EVENTS = {
    # One statement: 100,000 events about the customer, each with a sizeable object.
    "postgresql": (
        "INSERT INTO events (account_id, id, type, data, created_at, customer_id) "
        "SELECT CAST(:account_id AS text), 'evt_' || lpad(n::text, 26, '0'), "
        "'customer.updated', jsonb_build_object('object', jsonb_build_object('id', "
        "CAST(:customer_id AS text), 'note', repeat('x', 200), 'n', n), "
        "'previous_attributes', jsonb_build_object('n', n - 1)), now(), "
        "CAST(:customer_id AS text) FROM generate_series(1, CAST(:count AS integer)) AS n"
    ),
    "sqlite": (
        "WITH RECURSIVE numbers(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM numbers "
        "WHERE n < :count) "
        "INSERT INTO events (account_id, id, type, data, created_at, customer_id) "
        "SELECT :account_id, 'evt_' || printf('%026d', n), 'customer.updated', "
        "json_object('object', json_object('id', :customer_id, 'note', "
        "printf('%.200c', 'x'), 'n', n), 'previous_attributes', json_object('n', n - 1)), "
        "'2026-12-04 00:00:00.000000', :customer_id FROM numbers"
    ),
}


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
async def test_exporting_100000_events_streams_in_flat_memory(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    async with fresh_database(backend, tmp_path_factory, "export") as database_url:
        workdir = tmp_path_factory.mktemp(f"export-{backend}")
        api_key = create_account(database_url, workdir, "Export merchant")
        with serving_with(server_environment(database_url), workdir) as (process, base_url):
            headers = {"Authorization": f"Bearer {api_key}"}
            async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=120) as http:
                customer = await create_customer(http)
                account_id = await _account_of(database_url, customer["id"])
                db = database(database_url, pool_size=1)
                try:
                    async with writing(db) as conn:
                        await conn.execute(
                            Sql(text(_SEED_EVENTS[db.dialect])),
                            {
                                "account_id": account_id,
                                "customer_id": customer["id"],
                                "count": _HISTORY,
                            },
                        )
                finally:
                    await db.dispose()
                for _ in range(3):  # warm: the first requests grow the process a little
                    await http.get(url(customer["id"]))
                baseline = _rss_kib(process.pid)
                peak, received = baseline, bytearray()
                last_sample = time.monotonic()
                async with http.stream("GET", url(customer["id"], "export")) as response:
                    assert response.status_code == 200
                    async for chunk in response.aiter_bytes():
                        received += chunk
                        if time.monotonic() - last_sample > 0.02:
                            peak = max(peak, _rss_kib(process.pid))
                            last_sample = time.monotonic()
        document = json.loads(received)
    assert len(document["events"]) == _HISTORY + 1  # and the customer.created
    assert len(received) > 25 * 1024 * 1024
    # The document is over 25 MiB; the server grew by less than a page's worth of rows.
    assert peak - baseline < 16 * 1024, f"grew by {(peak - baseline) // 1024} MiB"


async def _account_of(database_url: str, customer_id: str) -> str:
    db = database(database_url, pool_size=1)
    try:
        async with writing(db) as conn:
            return str(
                await conn.scalar(
                    Sql(text("SELECT account_id FROM customers WHERE id = :id")),
                    {"id": customer_id},
                )
            )
    finally:
        await db.dispose()
